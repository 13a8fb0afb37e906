/**
 * The call view (SPEC §3) and a history item, as schemas: the HTTP responses, the OpenAPI and
 * the TypeScript types (`Static`) all come from these.
 */
import { type Static, Type } from '@sinclair/typebox';
import { CALL_EVENT_TYPES } from '../../machines/call.events.js';
import { LOCALES } from '../../machines/catalogue.js';
import { StringEnum, TEXT_PATTERN } from '../schema-types.js';

export const Customer = Type.Object(
  {
    firstName: Type.String({ minLength: 1, maxLength: 100, pattern: TEXT_PATTERN }),
    patronymic: Type.Optional(Type.String({ minLength: 1, maxLength: 100, pattern: TEXT_PATTERN })),
  },
  { additionalProperties: false },
);

export const Locale = StringEnum(LOCALES);

export const Prompt = Type.Object({
  key: Type.String(),
  text: Type.String(),
  instruction: Type.Union([Type.String(), Type.Null()]),
});

export const StatePath = Type.Union([Type.String(), Type.Array(Type.String())], {
  description: 'Dotted path of the active state; one per region where regions run in parallel',
});

/** A side effect the service started for an event (`supervisor.escalation` carries the escalation's id). */
export const Action = Type.Object(
  { type: Type.String(), topic: Type.Optional(Type.String()), id: Type.Optional(Type.String()) },
  { additionalProperties: true },
);

export const EventSourceSchema = StringEnum(['api', 'timer', 'transcript'] as const);

export const CallView = Type.Object(
  {
    callId: Type.String(),
    status: StringEnum(['active', 'ended'] as const),
    state: StatePath,
    version: Type.Integer(),
    customer: Type.Union([Customer, Type.Null()]),
    prompts: Type.Array(Prompt),
    allowedEvents: Type.Array(StringEnum(CALL_EVENT_TYPES)),
    counters: Type.Object({
      repeats: Type.Integer(),
      connectionAttempts: Type.Integer(),
      warnings: Type.Integer(),
    }),
    timers: Type.Array(Type.Object({ name: Type.String(), dueAt: Type.String({ format: 'date-time' }) })),
    actions: Type.Array(Action),
    endReason: Type.Union([Type.String(), Type.Null()]),
    locale: Locale,
    skippedFields: Type.Array(StringEnum(['phone', 'email'] as const)),
    operatorId: Type.Union([Type.String(), Type.Null()]),
    scriptVersion: Type.Integer({ minimum: 1 }),
    replayed: Type.Optional(Type.Boolean()),
  },
  { title: 'CallView' },
);
export type CallView = Static<typeof CallView>;

export const HistoryItem = Type.Object({
  seq: Type.Integer(),
  id: Type.Union([Type.String(), Type.Null()]),
  type: Type.String(),
  data: Type.Object({}, { additionalProperties: true }),
  source: EventSourceSchema,
  at: Type.String({ format: 'date-time' }),
  state: StatePath,
  prompts: Type.Array(Prompt),
  actions: Type.Array(Action),
});
export type HistoryItem = Static<typeof HistoryItem>;
