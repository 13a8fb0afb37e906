/**
 * One log line and one metric per request (SPEC §4), without bodies or headers: no personal
 * data in logs (SPEC §5). A hijacked reply (an SSE stream) skips onResponse, so its route
 * calls `recordRequest` itself when it ends.
 */
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

/** A hijacked reply's line and metric (the metrics plugin's onResponse does not see it either). */
export function recordRequest(request: FastifyRequest, status: number, ms: number): void {
  request.server.metrics?.observeRequest(request.method, request.routeOptions.url ?? 'unmatched', status, ms / 1000);
  logRequest(request, status, ms);
}

function logRequest(request: FastifyRequest, status: number, ms: number): void {
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
      logRequest(request, reply.statusCode, reply.elapsedTime);
      done();
    });
  },
  { name: 'callflow-request-log' },
);
