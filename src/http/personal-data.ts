/** DELETE /v1/calls/{callId}/personal-data and GET /v1/erasures (SPEC §10, admin). Thin. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { InvalidCursor } from '../errors.js';
import { decodeCursor, listErasures } from '../operations/erasure-log.js';
import { CallIdParams, problems } from './schemas.js';

const ErasureLine = Type.Object(
  {
    callId: Type.String(),
    reason: Type.Union([Type.Literal('request'), Type.Literal('retention')]),
    at: Type.String({ format: 'date-time' }),
    kinds: Type.Array(Type.String(), { description: "customer-name, unknown-topic, and other capabilities' kinds" }),
    by: Type.Union([Type.String(), Type.Null()], {
      description: 'The token that asked, as `token:N` (its position in API_TOKENS); null for retention',
    }),
  },
  { $id: 'ErasureLine' },
);

const ErasureList = Type.Object({
  erasures: Type.Array(Type.Ref(ErasureLine)),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

const ErasureQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);

const personalDataRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addSchema(ErasureLine);

  app.delete(
    '/calls/:callId/personal-data',
    {
      config: { role: 'admin' },
      schema: {
        summary: "Erase the call's personal data",
        description:
          "The customer's name and the unknown-topic texts leave the call, its history, its escalations, undelivered webhook messages and the store's files; prompts then render without a name. Counters, states and the rest of the history stay. Again: 204 as well. Logged in GET /v1/erasures.",
        params: CallIdParams,
        response: { 204: Type.Null({ description: 'Erased' }), ...problems(400, 401, 404) },
      },
    },
    async (request, reply) => {
      await app.personalData.erase(
        request.params.callId,
        'request',
        request.callerKey.startsWith('token:') ? request.callerKey : null,
      );
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/erasures',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'The erasure log',
        description:
          "Every erasure, newest first, without the erased data; `cursor` is the previous page's `nextCursor`.",
        querystring: ErasureQuery,
        response: { 200: ErasureList, ...problems(400, 401) },
      },
    },
    async (request) => {
      const { limit = 50, cursor } = request.query;
      const position = cursor === undefined ? undefined : decodeCursor(cursor);
      if (position === null) throw new InvalidCursor();
      return listErasures(app.store, { limit, cursor: position });
    },
  );
};

export default personalDataRoutes;
