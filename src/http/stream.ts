/**
 * GET /v1/calls/:callId/stream: Server-Sent Events. The current view on connect (or, with
 * Last-Event-ID: N, every change after version N), then one `call` event per change.
 */

import type { ServerResponse } from 'node:http';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { recordRequest } from '../plugins/request-log.js';
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

      const keepAlive = setInterval(() => raw.write(': keep-alive\n\n'), app.config.keepAliveMs);
      const openedAt = performance.now();
      const ended = new AbortController();
      const close = () => {
        // Called by the client's disconnect and by shutdown: only the first counts.
        if (ended.signal.aborted) return;
        ended.abort();
        clearInterval(keepAlive);
        open.delete(close);
        raw.end();
        recordRequest(request, 200, performance.now() - openedAt);
      };
      open.add(close);
      request.raw.on('close', close);

      const after = lastEventId === undefined ? null : Number(lastEventId);
      try {
        for await (const message of app.calls.stream(callId, after, ended.signal)) {
          if (ended.signal.aborted) break;
          const frame =
            'view' in message
              ? `id: ${message.view.version}\nevent: call\ndata: ${JSON.stringify(message.view)}\n\n`
              : `event: ${message.event}\ndata: ${JSON.stringify(message.data)}\n\n`;
          // Backpressure: a slow client is not sent more until it has taken this.
          if (!raw.write(frame)) await waitForDrain(raw, ended.signal);
        }
      } catch (error) {
        request.log.warn({ err: error }, 'stream failed');
        close();
      }
    },
  );
};

export default streamRoutes;

function waitForDrain(raw: ServerResponse, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      raw.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    raw.once('drain', done);
    signal.addEventListener('abort', done);
  });
}
