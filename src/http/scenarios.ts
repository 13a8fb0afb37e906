/**
 * GET /v1/scenarios: the shipped scenario files (scenarios/*.yaml) with their YAML, for the
 * console's "try the script" page to pick from and run through POST /v1/simulate.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { parseScenario } from '../scenarios/load.js';
import { SHIPPED_DIR, scenarioFiles } from '../scenarios/suite.js';
import { problems } from './schemas.js';

export const ScenarioList = Type.Object({
  scenarios: Type.Array(
    Type.Object({
      file: Type.String({ description: 'The file name in scenarios/' }),
      name: Type.String(),
      yaml: Type.String({ description: 'The file as shipped' }),
    }),
  ),
});

export interface ScenarioRoutesOptions {
  /** Where the shipped files are (tests point elsewhere). */
  dir?: string;
}

const scenarioRoutes: FastifyPluginAsyncTypebox<ScenarioRoutesOptions> = async (app, options) => {
  const dir = options.dir ?? SHIPPED_DIR;
  // Read once: they are part of the release, not edited while it runs.
  // An installation without the directory (an image that left it out) lists none.
  const present = await stat(dir).then(
    (info) => info.isDirectory(),
    () => false,
  );
  if (!present) app.log.warn({ dir }, 'no shipped scenarios: GET /v1/scenarios lists none');
  const shipped = await Promise.all(
    (present ? await scenarioFiles([dir]) : []).map(async (path) => {
      const yaml = await readFile(path, 'utf8');
      // A shipped file that does not load is a broken release: fail at start, not for a user.
      return { file: basename(path), name: parseScenario(yaml, basename(path)).scenario.name, yaml };
    }),
  );

  app.get(
    '/scenarios',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'The shipped scenario files',
        description: 'Each with its YAML, as POST /v1/simulate takes it in `scenario`.',
        response: { 200: ScenarioList, ...problems(401, 403) },
      },
    },
    async () => ({ scenarios: shipped }),
  );
};

export default scenarioRoutes;
