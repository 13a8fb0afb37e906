/** The machine definition, health, readiness and metrics (the script itself: script.ts). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { describeMachine } from '../../machines/describe.js';

export const scriptRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // Drawn with the current script version's limits (a publish may change them), once per version.
  let described: { version: number; machine: unknown } | null = null;
  const machine = () => {
    const version = app.scripts.currentVersion();
    if (described?.version !== version) {
      const { limits } = app.scripts.current();
      described = { version, machine: describeMachine(app.scripts.runtimeOf(version).machine, limits) };
    }
    return described.machine;
  };

  app.get(
    '/machine',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'The statechart: state nodes, transitions, limits (enough to draw it)',
        response: { 200: Type.Any() },
      },
    },
    async () => machine(),
  );
};

export const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));

  // Readiness follows the store (SPEC §10): down from its first fault until a probe says it is
  // back (src/store/health.ts); while up, a ping still finds a fault nobody has met yet.
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    if (closing) return reply.status(503).send({ status: 'closing' });
    const unavailable = () =>
      reply.status(503).send({ status: 'store unavailable', store: app.store.kind, fault: app.storeHealth.fault });
    if (!app.storeHealth.up) return unavailable();
    try {
      await app.store.ping();
      // The adapters' connections inform, they do not decide: a node without the PBX connection
      // (another node holds it) still serves every route.
      return { status: 'ready', store: app.store.kind, adapters: app.adapters.status() };
    } catch {
      return unavailable();
    }
  });

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
    reply.type(app.metrics.contentType).send(await app.metrics.render()),
  );
};
