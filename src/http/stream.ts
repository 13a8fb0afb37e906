/**
 * GET /v1/calls/:callId/stream: Server-Sent Events. The current view on connect (or, with
 * Last-Event-ID: N, every change after version N), then one `call` event per change.
 */

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { CallIdParams, problems } from './schemas.js';
import { openSse } from './sse.js';

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

      const sse = openSse(request, reply, { keepAliveMs: app.config.keepAliveMs, registry: open });
      const after = lastEventId === undefined ? null : Number(lastEventId);
      try {
        for await (const message of app.calls.stream(callId, after, sse.signal)) {
          if (sse.signal.aborted) break;
          await sse.send(
            'view' in message
              ? { id: message.view.version, event: 'call', data: message.view }
              : { event: message.event, data: message.data },
          );
        }
      } catch (error) {
        request.log.warn({ err: error }, 'stream failed');
        sse.close();
      }
    },
  );
};

export default streamRoutes;
