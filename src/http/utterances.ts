/** POST /v1/calls/{callId}/utterances: one transcript line in, suggestions out (SPEC §12). Thin. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { hearUtterance } from '../transcripts/utterances.js';
import { CallIdParams, problems } from './schemas.js';
import { UtteranceBody, UtteranceResponse } from './utterance.schema.js';

const utteranceRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/calls/:callId/utterances',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'Read one transcript line: the script events its words point to',
        description:
          'Suggestions are ranked, each with confidence, evidence and the data its event needs; they are also sent on the call stream as `suggestion` events. Those named by AUTO_APPLY (default `customer.speech`) at AUTO_APPLY_CONFIDENCE or more are applied at once (history source `transcript`) and `applied` is the resulting view. The operator confirms any other by posting the event as usual.',
        params: CallIdParams,
        body: UtteranceBody,
        response: { 200: UtteranceResponse, ...problems(400, 401, 403, 404, 409, 413, 415) },
      },
    },
    async (request) => hearUtterance(app.calls, app.config, request.params.callId, request.body),
  );
};

export default utteranceRoutes;
