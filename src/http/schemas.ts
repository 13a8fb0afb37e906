/** TypeBox schemas for every route, built from the machine's event vocabulary. */
import { type TSchema, Type } from '@sinclair/typebox';
import { CALL_EVENT_TYPES, type DataField, EVENT_DATA } from '../../machines/call.events.js';
import { LOCALES } from '../../machines/catalogue.js';

/** A string enum as one `enum` keyword: a wrong value gets one error listing the allowed ones. */
export function StringEnum<T extends string>(values: readonly T[], options: Record<string, unknown> = {}) {
  return Type.Unsafe<T>({ type: 'string', enum: [...values], ...options });
}

/** Text fields: no control characters and no lone surrogates (neither store can keep them faithfully). */
export const TEXT_PATTERN = '^[^\\p{Cc}\\p{Cs}]*$';

export const CALL_ID_PATTERN = '^[A-Za-z0-9._:-]{1,128}$';

export const CallId = Type.String({
  pattern: CALL_ID_PATTERN,
  minLength: 1,
  maxLength: 128,
  description: 'Letters, digits, ".", "_", ":", "-"; an Asterisk uniqueid such as 1732540000.42 fits',
  examples: ['1732540000.42'],
});

export const CallIdParams = Type.Object({ callId: CallId });

export const Customer = Type.Object(
  {
    firstName: Type.String({ minLength: 1, maxLength: 100, pattern: TEXT_PATTERN }),
    patronymic: Type.Optional(Type.String({ minLength: 1, maxLength: 100, pattern: TEXT_PATTERN })),
  },
  { additionalProperties: false },
);

export const Locale = StringEnum(LOCALES);

export const CreateCallBody = Type.Object(
  { callId: CallId, customer: Type.Optional(Customer), locale: Type.Optional(Locale) },
  { additionalProperties: false },
);

function fieldSchema(field: DataField): TSchema {
  return field.kind === 'string'
    ? Type.String({ minLength: field.minLength, maxLength: field.maxLength, pattern: TEXT_PATTERN })
    : StringEnum(field.values);
}

/** `data` of one event type: exactly its fields, nothing else. */
export const EVENT_DATA_SCHEMAS = Object.fromEntries(
  CALL_EVENT_TYPES.map((type) => {
    const fields = EVENT_DATA[type] as Record<string, DataField>;
    const properties = Object.fromEntries(
      Object.entries(fields).map(([name, field]) => [
        name,
        field.required ? fieldSchema(field) : Type.Optional(fieldSchema(field)),
      ]),
    );
    return [type, Type.Object(properties, { additionalProperties: false, title: `${type} data` })];
  }),
) as unknown as Record<(typeof CALL_EVENT_TYPES)[number], TSchema>;

export const EventType = StringEnum(CALL_EVENT_TYPES, {
  description: 'An event of the call-flow vocabulary (GET /v1/machine lists them)',
});

/**
 * The envelope is checked here; `data` is checked against its type's schema in the route
 * (one schema per type gives errors that name the field, which a oneOf would not).
 */
export const EventBody = Type.Object(
  {
    type: EventType,
    id: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        pattern: TEXT_PATTERN,
        description: 'Idempotency key, unique per call (no control characters)',
      }),
    ),
    data: Type.Optional(
      Type.Object(
        {},
        {
          additionalProperties: true,
          description: `Per type: ${CALL_EVENT_TYPES.filter((t) => Object.keys(EVENT_DATA[t]).length > 0)
            .map((t) => `${t} {${Object.keys(EVENT_DATA[t]).join(', ')}}`)
            .join('; ')}; other types take none`,
        },
      ),
    ),
  },
  { additionalProperties: false },
);

const Prompt = Type.Object({
  key: Type.String(),
  text: Type.String(),
  instruction: Type.Union([Type.String(), Type.Null()]),
});

const StatePath = Type.Union([Type.String(), Type.Array(Type.String())], {
  description: 'Dotted path of the active state; one per region where regions run in parallel',
});

export const CallView = Type.Object(
  {
    callId: Type.String(),
    status: StringEnum(['active', 'ended'] as const),
    state: StatePath,
    version: Type.Integer(),
    customer: Type.Union([Customer, Type.Null()]),
    prompts: Type.Array(Prompt),
    allowedEvents: Type.Array(Type.String()),
    counters: Type.Object({
      repeats: Type.Integer(),
      connectionAttempts: Type.Integer(),
      warnings: Type.Integer(),
    }),
    timers: Type.Array(Type.Object({ name: Type.String(), dueAt: Type.String({ format: 'date-time' }) })),
    actions: Type.Array(Type.Object({ type: Type.String() }, { additionalProperties: true })),
    endReason: Type.Union([Type.String(), Type.Null()]),
    locale: Locale,
    skippedFields: Type.Array(Type.String()),
    replayed: Type.Optional(Type.Boolean()),
  },
  { title: 'CallView' },
);

export const CallList = Type.Object({
  calls: Type.Array(CallView),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

export const ListQuery = Type.Object(
  {
    status: Type.Optional(StringEnum(['active', 'ended'] as const)),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  },
  { additionalProperties: false },
);

export const HistoryResponse = Type.Object({
  callId: Type.String(),
  events: Type.Array(
    Type.Object({
      seq: Type.Integer(),
      id: Type.Union([Type.String(), Type.Null()]),
      type: Type.String(),
      data: Type.Object({}, { additionalProperties: true }),
      source: Type.Union([Type.Literal('api'), Type.Literal('timer')]),
      at: Type.String({ format: 'date-time' }),
      state: StatePath,
      prompts: Type.Array(Prompt),
      actions: Type.Array(Type.Object({ type: Type.String() }, { additionalProperties: true })),
    }),
  ),
});

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    instance: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
    allowedEvents: Type.Optional(Type.Array(Type.String())),
    state: Type.Optional(StatePath),
    kind: Type.Optional(
      Type.String({ description: 'A store fault (503, 507): what is wrong, e.g. unreachable, disk-full' }),
    ),
  },
  { title: 'Problem (RFC 9457)' },
);

/** Error responses a route may give, all problem+json. */
export function problems(...statuses: number[]) {
  return Object.fromEntries(statuses.map((s) => [s, Problem]));
}
