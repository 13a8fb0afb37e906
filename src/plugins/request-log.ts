/**
 * One log line and one metric per request (SPEC §4), without bodies or headers: no personal
 * data in logs (SPEC §5). A hijacked reply (an SSE stream) skips onResponse, so its route
 * calls `recordRequest` itself when it ends.
 */
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

export function recordRequest(request: FastifyRequest, status: number, ms: number): void {
  const route = request.routeOptions.url ?? 'unmatched';
  request.server.metrics?.httpRequests.inc(request.method, route, status);
  // pino's check: at LOG_LEVEL=warn the line is not even built.
  if ((request.log as { isLevelEnabled?(level: string): boolean }).isLevelEnabled?.('info') ?? true) {
    request.log.info(
      {
        method: request.method,
        // EventSource clients pass the token in the query: keep it out of the log.
        url: request.url.replace(/([?&]access_token=)[^&]*/, '$1[redacted]'),
        status,
        ms: Math.round(ms * 10) / 10,
      },
      'request',
    );
  }
}

export default fp(
  async (app) => {
    // A callback hook: it runs on every request, and an async one costs a promise each time.
    app.addHook('onResponse', (request, reply, done) => {
      recordRequest(request, reply.statusCode, reply.elapsedTime);
      done();
    });
  },
  { name: 'callflow-request-log' },
);
