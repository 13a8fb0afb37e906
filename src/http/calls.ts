/** /v1/calls: create, read, list, history, and the event endpoint. Thin: schemas + service calls. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { CallEventType } from '../../machines/call.events.js';
import { InvalidBody } from '../errors.js';
import { bodyAjv } from './ajv.js';
import { describeValidation } from './problem.js';
import {
  CallIdParams,
  CallList,
  CallView,
  CreateCallBody,
  EVENT_DATA_SCHEMAS,
  EventBody,
  HistoryResponse,
  ListQuery,
  problems,
} from './schemas.js';

const dataValidators = Object.fromEntries(
  Object.entries(EVENT_DATA_SCHEMAS).map(([type, schema]) => [type, bodyAjv.compile(schema)]),
);

/** `data` against its event type's own schema, so the error names the field. */
function checkData(type: CallEventType, data: unknown): Record<string, unknown> {
  const validate = dataValidators[type];
  const value = data ?? {};
  if (!validate || validate(value)) return value as Record<string, unknown>;
  const issues = validate.errors ?? [];
  const errors = describeValidation('body.data', issues);
  const error = new InvalidBody(
    `Invalid data for "${type}": ${errors.map((e) => `${e.field || 'body.data'} ${e.message}`).join('; ')}`,
  );
  Object.assign(error, { validation: issues, validationContext: 'body/data' });
  throw error;
}

const callRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/calls',
    {
      config: { role: ['telephony', 'operator'] },
      schema: {
        summary: 'Start a call',
        description: 'Creates the call in its greeting. The same body again answers 200 with the current view.',
        body: CreateCallBody,
        response: { 200: CallView, 201: CallView, ...problems(400, 401, 409, 413, 415) },
      },
    },
    async (request, reply) => {
      const { view, created } = await app.calls.create(request.body);
      return reply.status(created ? 201 : 200).send(view);
    },
  );

  app.get(
    '/calls',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'List calls',
        description: "By id; `status` and `operatorId` filter, `cursor` is the previous page's `nextCursor`.",
        querystring: ListQuery,
        response: { 200: CallList, ...problems(400, 401) },
      },
    },
    async (request) => {
      const { status, operatorId, limit = 50, cursor } = request.query;
      return app.calls.list({ status, operatorId, limit, cursor });
    },
  );

  app.get(
    '/calls/:callId',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'The call view',
        params: CallIdParams,
        response: { 200: CallView, ...problems(400, 401, 404) },
      },
    },
    async (request) => app.calls.getView(request.params.callId),
  );

  app.get(
    '/calls/:callId/history',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'Every applied event, in order, timer firings included',
        params: CallIdParams,
        response: { 200: HistoryResponse, ...problems(400, 401, 404) },
      },
    },
    async (request) => {
      const { callId } = request.params;
      return { callId, events: await app.calls.history(callId) };
    },
  );

  app.post(
    '/calls/:callId/events',
    {
      config: { role: ['telephony', 'operator'] },
      schema: {
        summary: 'Apply one event',
        description:
          '`prompts` in the answer hold what the operator must say now. `id` is an idempotency key: the same id again replays the stored result with `replayed: true`.',
        params: CallIdParams,
        body: EventBody,
        response: { 200: CallView, ...problems(400, 401, 404, 409, 413, 415) },
      },
    },
    async (request) => {
      const { type, id, data } = request.body;
      const checked = checkData(type, data);
      const { view } = await app.calls.applyEvent(request.params.callId, { type, id, data: checked });
      return view;
    },
  );
};

export default callRoutes;
