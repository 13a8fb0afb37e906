/** /v1/webhooks (SPEC §7, admin): subscriptions, their delivery log, and the manual retry. Thin: schemas + app.webhooks. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  WebhookEndpointDisabled,
  WebhookMessageNotFailed,
  WebhookMessageNotFound,
  WebhookNotFound,
} from '../errors.js';
import { endpointView } from '../webhooks/endpoints.js';
import {
  CreateEndpointBody,
  Delivery,
  DeliveryList,
  DeliveryQuery,
  Endpoint,
  EndpointList,
  EndpointParams,
  MessageParams,
  RetryBody,
} from '../webhooks/schemas.js';
import { problems } from './schemas.js';

const webhookRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { endpoints, log } = app.webhooks;

  const requireEndpoint = async (id: string) => {
    const endpoint = await endpoints.find(id);
    if (!endpoint) throw new WebhookNotFound(id);
    return endpoint;
  };

  app.post(
    '/webhooks',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'Subscribe an endpoint to call (and escalation) messages',
        description:
          'Answers the endpoint with its signing secret (`whsec_...`, Standard Webhooks). `types` defaults to every type. The URL must be http: or https: and resolve to a public address unless WEBHOOK_ALLOW_PRIVATE=true.',
        body: CreateEndpointBody,
        response: { 201: Endpoint, ...problems(400, 413, 415) },
      },
    },
    async (request, reply) => {
      const endpoint = await endpoints.create(request.body, Date.now());
      return reply.status(201).send(endpointView(endpoint, true));
    },
  );

  app.get(
    '/webhooks',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'List the webhook endpoints (without their secrets)',
        response: { 200: EndpointList },
      },
    },
    async () => {
      await endpoints.reload();
      return { webhooks: endpoints.list().map((e) => endpointView(e)) };
    },
  );

  app.get(
    '/webhooks/:id',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'One webhook endpoint, with its signing secret',
        params: EndpointParams,
        response: { 200: Endpoint, ...problems(400, 404) },
      },
    },
    async (request) => endpointView(await requireEndpoint(request.params.id), true),
  );

  app.delete(
    '/webhooks/:id',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'Delete a webhook endpoint, its undelivered messages and its delivery log',
        params: EndpointParams,
        response: { 204: { type: 'null', description: 'Deleted' }, ...problems(400, 404) },
      },
    },
    async (request, reply) => {
      if (!(await endpoints.remove(request.params.id))) throw new WebhookNotFound(request.params.id);
      return reply.status(204).send();
    },
  );

  app.get(
    '/webhooks/:id/deliveries',
    {
      config: { role: 'admin' },
      schema: {
        summary: "An endpoint's delivery log: each message, newest first, with its attempts",
        description: "`status` filters; `cursor` is the previous page's `nextCursor`.",
        params: EndpointParams,
        querystring: DeliveryQuery,
        response: { 200: DeliveryList, ...problems(400, 404) },
      },
    },
    async (request) => {
      await requireEndpoint(request.params.id);
      const { status, limit = 50, cursor } = request.query;
      return log.list(request.params.id, { status, limit, cursor });
    },
  );

  app.post(
    '/webhooks/:id/deliveries/:messageId/retry',
    {
      config: { role: 'admin' },
      // No body at all is the plain way to ask: checked as `{}`, so only an unknown field is refused.
      preValidation: (request, _reply, done) => {
        request.body ??= {};
        done();
      },
      schema: {
        summary: 'Send a failed message again',
        description:
          'The message is pending again with a fresh retry schedule; it goes out as soon as the earlier messages of its call to this endpoint allow. 409 unless it is failed.',
        params: MessageParams,
        body: RetryBody,
        response: { 202: Delivery, ...problems(400, 404, 409, 413, 415) },
      },
    },
    async (request, reply) => {
      const { id, messageId } = request.params;
      const endpoint = await requireEndpoint(id);
      if (endpoint.disabledAt !== null) throw new WebhookEndpointDisabled(id);
      const outcome = await log.retry(id, messageId, Date.now());
      if (outcome.kind === 'not-found') throw new WebhookMessageNotFound(messageId, id);
      if (outcome.kind === 'not-failed') throw new WebhookMessageNotFailed(messageId, outcome.status);
      return reply.status(202).send(outcome.delivery);
    },
  );
};

export default webhookRoutes;
