/**
 * The script's versions (SPEC §11): read the current one or any published one, list them,
 * publish a new one (admin). A publish is checked whole (src/scripts/validate.ts) and every
 * problem is named in one 400; content equal to the current version publishes nothing.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { LOCALES } from '../../machines/catalogue.js';
import { InvalidBody, ScriptVersionNotFound } from '../errors.js';
import type { StoredVersion } from '../scripts/registry.js';
import {
  PublishAnswer,
  type ScriptBody,
  ScriptBody as ScriptBodySchema,
  ScriptVersion,
  VersionList,
  VersionQuery,
} from '../scripts/schema.js';
import { scriptProblems } from '../scripts/validate.js';
import { problems } from './schemas.js';

const ScriptAnswer = Type.Object(
  { ...ScriptVersion.properties, locales: Type.Array(Type.String(), { description: 'The locales with a catalogue' }) },
  { title: 'Script' },
);

function versionView(version: StoredVersion, current: number) {
  return {
    version: version.version,
    publishedAt: new Date(version.publishedAt).toISOString(),
    publishedBy: version.publishedBy,
    summary: version.summary,
    changes: version.changes,
    current: version.version === current,
    catalogues: version.content.catalogues,
    limits: version.limits,
    fixedLimits: version.content.limits,
  };
}

/** Who published: the token's role and place in API_TOKENS (never the token itself). */
function publisher(request: FastifyRequest): string {
  if (request.callerRole === null) return 'anyone (API_TOKENS unset)';
  const index = /^token:(\d+)$/.exec(request.callerKey)?.[1];
  return index === undefined ? request.callerRole : `${request.callerRole} (token ${Number(index) + 1} of API_TOKENS)`;
}

/** One 400 naming every problem, as body validation does (errors: [{field, message}]). */
function invalidScript(issues: { path: string[]; message: string }[]) {
  const error = new InvalidBody(
    `The script is not published: ${issues.length} problem${issues.length === 1 ? '' : 's'}`,
  );
  return Object.assign(error, {
    validation: issues.map((i) => ({ instancePath: i.path.map((p) => `/${p}`).join(''), message: i.message })),
    validationContext: 'body',
  });
}

const scriptVersionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { scripts } = app;

  app.get(
    '/script',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'The script: the current version, or `?version=N`',
        description:
          'Both catalogues (phrases, event labels, transcript words) and the limits calls on that version run with.',
        querystring: VersionQuery,
        response: { 200: ScriptAnswer, ...problems(400, 404) },
      },
    },
    async (request) => {
      const wanted = request.query.version ?? scripts.currentVersion();
      const version = await scripts.find(wanted);
      if (!version) throw new ScriptVersionNotFound(wanted, scripts.currentVersion());
      return { ...versionView(version, scripts.currentVersion()), locales: [...LOCALES] };
    },
  );

  app.get(
    '/script/versions',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'Every published script version, newest first: when, by whom, what changed',
        response: { 200: VersionList },
      },
    },
    async () => {
      // A shared store: another node may have published a moment ago.
      if (app.store.shared) await scripts.refresh();
      return {
        current: scripts.currentVersion(),
        versions: scripts.list().map(({ version, publishedAt, publishedBy, summary, changes }) => ({
          version,
          publishedAt: new Date(publishedAt).toISOString(),
          publishedBy,
          summary,
          changes,
        })),
      };
    },
  );

  app.put(
    '/script',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'Publish the script as the next version (new calls take it; calls under way keep theirs)',
        description:
          'The whole script: both catalogues and, optionally, the limits it fixes. Everything is checked and every problem named in one 400; nothing is published then. Content equal to the current version is a 200 that publishes nothing (`published: false`). Publishing an older version’s content again is a rollback (docs/scripts.md).',
        body: ScriptBodySchema,
        response: { 200: PublishAnswer, 201: PublishAnswer, ...problems(400, 413, 415) },
      },
      // The body is checked in the handler, whole, so one answer names every problem: the
      // schema's and those only the machine and the renderer can see.
      validatorCompiler: () => () => true,
    },
    async (request, reply) => {
      const body = request.body as unknown;
      const issues = scriptProblems(body);
      if (issues.length > 0) throw invalidScript(issues);
      const script = body as ScriptBody;
      const { version, published } = await scripts.publish(
        { catalogues: script.catalogues, limits: script.limits ?? {} },
        publisher(request),
      );
      if (published) request.log.info({ scriptVersion: version.version }, 'script version published');
      return reply.status(published ? 201 : 200).send({ ...versionView(version, scripts.currentVersion()), published });
    },
  );
};

export default scriptVersionRoutes;
