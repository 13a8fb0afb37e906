/** TypeBox schemas for every route, built from the machine's event vocabulary. */
import { type TSchema, Type } from '@sinclair/typebox';
import { CALL_EVENT_TYPES, type DataField, EVENT_DATA } from '../../machines/call.events.js';
import { CallView, Customer, HistoryItem, Locale, StatePath } from '../calls/view.schema.js';
import { StringEnum, TEXT_PATTERN } from '../schema-types.js';

export { StringEnum, TEXT_PATTERN } from '../schema-types.js';

export const CALL_ID_PATTERN = '^[A-Za-z0-9._:-]{1,128}$';

export const CallId = Type.String({
  pattern: CALL_ID_PATTERN,
  minLength: 1,
  maxLength: 128,
  description: 'Letters, digits, ".", "_", ":", "-"; an Asterisk uniqueid such as 1732540000.42 fits',
  examples: ['1732540000.42'],
});

export const CallIdParams = Type.Object({ callId: CallId });

export { Customer, Locale } from '../calls/view.schema.js';

export const OperatorId = Type.String({
  pattern: CALL_ID_PATTERN,
  minLength: 1,
  maxLength: 128,
  description: 'The operator handling the call (same characters as callId)',
});

export const CreateCallBody = Type.Object(
  {
    callId: CallId,
    customer: Type.Optional(Customer),
    locale: Type.Optional(Locale),
    operatorId: Type.Optional(OperatorId),
  },
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

export { CallView, HistoryItem, StatePath } from '../calls/view.schema.js';

export const CallList = Type.Object({
  calls: Type.Array(CallView),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

export const ListQuery = Type.Object(
  {
    status: Type.Optional(StringEnum(['active', 'ended'] as const)),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    operatorId: Type.Optional(OperatorId),
  },
  { additionalProperties: false },
);

export const HistoryResponse = Type.Object({ callId: Type.String(), events: Type.Array(HistoryItem) });

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
    currentStatus: Type.Optional(Type.String({ description: 'An escalation conflict: the status the escalation has' })),
  },
  { title: 'Problem (RFC 9457)' },
);

/**
 * Error responses a route may give, all problem+json: declared under that media type, so the
 * OpenAPI tells a client generator what the error handler actually sends.
 */
export function problems(...statuses: number[]) {
  const response = {
    description: 'A problem (RFC 9457)',
    content: { 'application/problem+json': { schema: Problem } },
  };
  return Object.fromEntries(statuses.map((s) => [s, response]));
}
