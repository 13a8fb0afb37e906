/**
 * GET /v1/calls/:callId/stream: Server-Sent Events. The current view on connect (or, with
 * Last-Event-ID: N, every change after version N), then one `call` event per change.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { CallView } from '../calls/view.js';
import { CallIdParams, problems } from './schemas.js';

const streamRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const close of open) close();
  });

  app.get(
    '/calls/:callId/stream',
    {
      config: { role: 'operator', tokenInQuery: true },
      schema: {
        summary: 'Live changes of one call (text/event-stream)',
        params: CallIdParams,
        headers: Type.Object({ 'last-event-id': Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$' })) }),
        produces: ['text/event-stream'],
        response: {
          200: Type.String({ description: 'event: call, id: version, data: the call view' }),
          ...problems(400, 401, 404),
        },
      },
    },
    async (request, reply) => {
      const { callId } = request.params;
      const lastEventId = request.headers['last-event-id'];
      await app.calls.requireCall(callId);

      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      raw.write('retry: 2000\n\n');

      let lastSent = lastEventId === undefined ? -1 : Number(lastEventId);
      const send = (view: CallView) => {
        if (view.version <= lastSent || closed) return;
        lastSent = view.version;
        raw.write(`id: ${view.version}\nevent: call\ndata: ${JSON.stringify(view)}\n\n`);
      };
      // With several processes on one database, another process's change arrives by notification:
      // possibly after a later change made here, or (while the listener reconnects) not at all.
      // Before a view that skips versions, the missing ones are read from the history.
      let queued: CallView[] = [];
      let draining = true; // until the catch-up below has been sent
      const drain = async () => {
        draining = true;
        try {
          while (queued.length > 0 && !closed) {
            const views = queued.sort((a, b) => a.version - b.version);
            queued = [];
            for (const view of views) {
              if (lastSent >= 0 && view.version > lastSent + 1) {
                for (const missing of await app.calls.viewsAfter(callId, lastSent)) send(missing);
              }
              send(view);
            }
          }
        } catch (error) {
          request.log.warn({ err: error }, 'stream gap fill failed');
        } finally {
          draining = false;
        }
      };
      // Subscribe before reading, so nothing committed in between is missed; versions dedupe.
      const unsubscribe = app.calls.bus.subscribe(callId, (view) => {
        queued.push(view);
        if (!draining) void drain();
      });
      const keepAlive = setInterval(() => raw.write(': keep-alive\n\n'), app.config.keepAliveMs);
      const openedAt = performance.now();
      let closed = false;
      const close = () => {
        // Called by the client's disconnect and by shutdown: only the first counts.
        if (closed) return;
        closed = true;
        clearInterval(keepAlive);
        unsubscribe();
        open.delete(close);
        raw.end();
        // A hijacked reply skips onResponse, so the stream's one request line (SPEC §4: info
        // logs one line per request) and its count are written here, when it ends.
        const seconds = (performance.now() - openedAt) / 1000;
        app.metrics.observeRequest(request.method, request.routeOptions.url ?? 'unmatched', 200, seconds);
        request.log.info(
          {
            method: request.method,
            // EventSource clients pass the token in the query: keep it out of the log.
            url: request.url.replace(/([?&]access_token=)[^&]*/, '$1[redacted]'),
            status: 200,
            ms: Math.round(seconds * 10_000) / 10,
          },
          'request',
        );
      };
      open.add(close);
      request.raw.on('close', close);

      try {
        if (lastEventId === undefined) send(await app.calls.getView(callId));
        else for (const view of await app.calls.viewsAfter(callId, lastSent)) send(view);
      } catch (error) {
        request.log.warn({ err: error }, 'stream catch-up failed');
      }
      await drain();
    },
  );
};

export default streamRoutes;
