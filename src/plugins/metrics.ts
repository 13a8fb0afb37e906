/**
 * Metrics as a plugin: `app.metrics` (src/metrics.ts) for every feature, and the HTTP metrics of
 * every request, labelled by the route pattern (never the raw URL, whose call ids would make a
 * series per call) and the status.
 */
import fp from 'fastify-plugin';
import { Metrics } from '../metrics.js';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics;
  }
}

export default fp(
  async (app) => {
    const metrics = new Metrics();
    app.decorate('metrics', metrics);
    // Callback hook: it runs on every request, and an async one costs a promise each time.
    app.addHook('onResponse', (request, reply, done) => {
      metrics.observeRequest(
        request.method,
        request.routeOptions.url ?? 'unmatched',
        reply.statusCode,
        reply.elapsedTime / 1000,
      );
      done();
    });
  },
  { name: 'callflow-metrics' },
);
