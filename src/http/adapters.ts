/**
 * /v1/adapters/{asterisk,freeswitch}/events: the PBX's own events, posted by a middleware that
 * already consumes them (SPEC §9). One event or an array, applied in order through the same mapping
 * as the adapters' own connections; 202 with how many changed a call and how many were ignored.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { Outcome } from '../adapters/types.js';
import { OUTCOMES } from '../adapters/types.js';
import { InvalidBody } from '../errors.js';
import { describeValidation } from './problem.js';
import { problems, StringEnum } from './schemas.js';

const MAX_EVENTS = 1_000;

const AriEvent = Type.Object(
  { type: Type.String({ minLength: 1, description: 'events.json Message.type, e.g. ChannelHold' }) },
  { additionalProperties: true, description: 'An ARI event as Asterisk sends it on the event WebSocket' },
);
const FsEvent = Type.Object(
  { 'Event-Name': Type.String({ minLength: 1, description: 'e.g. CHANNEL_HOLD' }) },
  {
    additionalProperties: Type.Union([Type.String(), Type.Array(Type.String())]),
    description: 'A FreeSWITCH event as `event json` delivers it: a flat object of string values',
  },
);
const oneOrMany = <T extends ReturnType<typeof Type.Object>>(event: T) =>
  Type.Union([event, Type.Array(event, { minItems: 1, maxItems: MAX_EVENTS })]);

export const AdapterAnswer = Type.Object({
  applied: Type.Integer({ description: 'Events that created a call or changed one' }),
  ignored: Type.Integer({
    description: 'Events that changed nothing (duplicates, other channels, not allowed now, ...)',
  }),
  outcomes: Type.Array(StringEnum(OUTCOMES), { description: 'What became of each event, in order' }),
});

function answer(outcomes: Outcome[]): Static<typeof AdapterAnswer> {
  const applied = outcomes.filter((o) => o === 'applied').length;
  return { applied, ignored: outcomes.length - applied, outcomes };
}

/**
 * A body the route schema refused (a FreeSWITCH value that is no string, an item without its
 * type) is counted and logged as malformed like one refused by the PBX model, then answered by the
 * usual 400 problem.
 */
function refuseInvalid(request: FastifyRequest, malformed: (reason: string) => void): void {
  const error = request.validationError as
    | (Error & { validation?: Parameters<typeof describeValidation>[1] })
    | undefined;
  if (!error) return;
  const fields = describeValidation('body', error.validation ?? []);
  malformed(fields.map((f) => `${f.field} ${f.message}`).join('; ') || 'body does not match the schema');
  throw error;
}

/** Every event checked before any is applied, so a 400 changes nothing. */
function checkAll<T>(
  body: unknown,
  parse: (value: unknown) => { ok: true; event: T } | { ok: false; reason: string },
  malformed: (reason: string) => void,
): T[] {
  const items = Array.isArray(body) ? body : [body];
  const problems: string[] = [];
  const events: T[] = [];
  items.forEach((item, i) => {
    const parsed = parse(item);
    if (parsed.ok) events.push(parsed.event);
    else problems.push(Array.isArray(body) ? `body[${i}]: ${parsed.reason}` : parsed.reason);
  });
  if (problems.length > 0) {
    for (const reason of problems) malformed(reason);
    throw new InvalidBody(`Malformed PBX event: ${problems.slice(0, 10).join('; ')}`);
  }
  return events;
}

const adapterRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/adapters/asterisk/events',
    {
      config: { role: 'telephony' },
      attachValidation: true,
      schema: {
        summary: 'Post Asterisk ARI events',
        description:
          'One ARI event or an array of up to 1000, applied in order as the ARI WebSocket adapter applies them (SPEC §9). Idempotent: the key of each event is its channel id, type and timestamp.',
        body: oneOrMany(AriEvent),
        response: { 202: AdapterAnswer, ...problems(400, 401, 403, 413, 415, 503) },
      },
    },
    async (request, reply) => {
      const { asterisk } = app.adapters;
      refuseInvalid(request, (reason) => asterisk.malformed(reason));
      const events = checkAll(
        request.body,
        (value) => asterisk.parse(value),
        (reason) => asterisk.malformed(reason),
      );
      const outcomes: Outcome[] = [];
      for (const event of events) outcomes.push(await asterisk.handle(event));
      return reply.status(202).send(answer(outcomes));
    },
  );

  app.post(
    '/adapters/freeswitch/events',
    {
      config: { role: 'telephony' },
      attachValidation: true,
      schema: {
        summary: 'Post FreeSWITCH events',
        description:
          'One FreeSWITCH event (the JSON of `event json`) or an array of up to 1000, applied in order as the event socket adapter applies them (SPEC §9). Idempotent: the key of each event is its Unique-ID, Event-Name and Event-Date-Timestamp.',
        body: oneOrMany(FsEvent),
        response: { 202: AdapterAnswer, ...problems(400, 401, 403, 413, 415, 503) },
      },
    },
    async (request, reply) => {
      const { freeswitch } = app.adapters;
      refuseInvalid(request, (reason) => freeswitch.malformed(reason));
      const events = checkAll(
        request.body,
        (value) => freeswitch.parse(value),
        (reason) => freeswitch.malformed(reason),
      );
      const outcomes: Outcome[] = [];
      for (const event of events) outcomes.push(await freeswitch.handle(event));
      return reply.status(202).send(answer(outcomes));
    },
  );
};

export default adapterRoutes;
