/** /v1/escalations (SPEC §8, role supervisor): list, read, acknowledge, resolve, and the live stream. Thin. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import {
  AcknowledgeBody,
  Escalation,
  EscalationList,
  EscalationListQuery,
  EscalationParams,
  ResolveBody,
} from '../escalations/schema.js';
import { escalationStream } from '../escalations/stream.js';
import { problems } from './schemas.js';
import { openSse } from './sse.js';

const escalationRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const close of open) close();
  });

  app.get(
    '/escalations',
    {
      config: { role: 'supervisor' },
      schema: {
        summary: 'List escalations, newest first',
        description: "`status` and `callId` filter; `cursor` is the previous page's `nextCursor`.",
        querystring: EscalationListQuery,
        response: { 200: EscalationList, ...problems(400) },
      },
    },
    async (request) => {
      const { status, callId, limit = 50, cursor } = request.query;
      return app.escalations.list({ status, callId, limit, cursor });
    },
  );

  app.get(
    '/escalations/stream',
    {
      config: { role: 'supervisor', tokenInQuery: true },
      schema: {
        summary: 'Live escalation changes (text/event-stream)',
        description:
          "One `escalation` event per change (created, acknowledged, resolved), `id:` the change's global sequence number, data the escalation as it stood after the change. Without Last-Event-ID the stream opens with a `ready` event whose `id:` is the latest change; with `Last-Event-ID: N` it first sends every change after N. A keep-alive comment every SSE_KEEPALIVE_MS.",
        querystring: Type.Object({ access_token: Type.Optional(Type.String()) }),
        headers: Type.Object({ 'last-event-id': Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$' })) }),
        produces: ['text/event-stream'],
        response: { 200: Type.String({ description: 'event: escalation, id: change seq, data: the escalation' }) },
      },
    },
    async (request, reply) => {
      const lastEventId = request.headers['last-event-id'];
      const sse = openSse(request, reply, { keepAliveMs: app.config.keepAliveMs, registry: open });
      const after = lastEventId === undefined ? null : Number(lastEventId);
      try {
        for await (const item of escalationStream(app.escalations, after, sse.signal)) {
          if (item.kind === 'ready') await sse.send({ id: item.seq, event: 'ready', data: { seq: item.seq } });
          else await sse.send({ id: item.change.seq, event: 'escalation', data: item.change.escalation });
        }
      } catch (error) {
        request.log.warn({ err: error }, 'escalation stream failed');
      } finally {
        sse.close();
      }
    },
  );

  app.get(
    '/escalations/:id',
    {
      config: { role: 'supervisor' },
      schema: {
        summary: 'One escalation',
        params: EscalationParams,
        response: { 200: Escalation, ...problems(400, 404) },
      },
    },
    async (request) => app.escalations.get(request.params.id),
  );

  app.post(
    '/escalations/:id/acknowledge',
    {
      config: { role: 'supervisor' },
      schema: {
        summary: 'Acknowledge an open escalation',
        description: 'Only an open escalation: otherwise 409, whose `currentStatus` says what it is.',
        params: EscalationParams,
        body: AcknowledgeBody,
        response: { 200: Escalation, ...problems(400, 404, 409, 413, 415) },
      },
    },
    async (request) => app.escalations.acknowledge(request.params.id, request.body.by),
  );

  app.post(
    '/escalations/:id/resolve',
    {
      config: { role: 'supervisor' },
      schema: {
        summary: 'Resolve an escalation with a note',
        description:
          'From open or acknowledged (a question may be settled without acknowledging it first); a resolved one is 409, whose `currentStatus` says so.',
        params: EscalationParams,
        body: ResolveBody,
        response: { 200: Escalation, ...problems(400, 404, 409, 413, 415) },
      },
    },
    async (request) => app.escalations.resolve(request.params.id, request.body.by, request.body.resolution),
  );
};

export default escalationRoutes;
