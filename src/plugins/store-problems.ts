/**
 * Every /v1 route may meet a store fault (SPEC §10): its OpenAPI lists the 503 (store unavailable,
 * with Retry-After) and 507 (disk full) problems, from this one place rather than each route.
 */
import fp from 'fastify-plugin';
import { problems } from '../http/schemas.js';

export default fp<{ prefix: string }>(
  async (app, { prefix }) => {
    app.addHook('onRoute', (route) => {
      const url = route.url ?? route.path;
      if (!url.startsWith(prefix) || !route.schema) return;
      route.schema.response = { ...problems(503, 507), ...((route.schema.response ?? {}) as Record<string, unknown>) };
    });
  },
  { name: 'callflow-store-problems' },
);
