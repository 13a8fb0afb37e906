/**
 * Webhooks (SPEC §7) as schemas: the routes' bodies and answers, the OpenAPI and the TypeScript
 * types (`Static`) all come from these.
 */
import { type Static, Type } from '@sinclair/typebox';
import { CallView } from '../calls/view.schema.js';
import { StringEnum, TEXT_PATTERN } from '../schema-types.js';

/** Every message type, in the order the docs list them. */
export const WEBHOOK_TYPES = [
  'call.created',
  'call.updated',
  'call.ended',
  'escalation.created',
  'escalation.updated',
] as const;
export type WebhookType = (typeof WEBHOOK_TYPES)[number];

export const ENDPOINT_ID_PATTERN = '^ep_[A-Za-z0-9_-]{1,64}$';
export const MESSAGE_ID_PATTERN = '^msg_[A-Za-z0-9_-]{1,64}$';

export const WebhookTypeSchema = StringEnum(WEBHOOK_TYPES, { description: 'A message type' });

export const CreateEndpointBody = Type.Object(
  {
    url: Type.String({
      minLength: 1,
      maxLength: 2048,
      description:
        'http: or https: URL that receives the messages; it must resolve to a public address unless WEBHOOK_ALLOW_PRIVATE=true',
      examples: ['https://crm.example.com/hooks/callflow'],
    }),
    types: Type.Optional(
      Type.Array(WebhookTypeSchema, {
        minItems: 1,
        uniqueItems: true,
        description: 'The message types to receive; all of them when absent',
      }),
    ),
    description: Type.Optional(Type.String({ maxLength: 500, pattern: TEXT_PATTERN })),
  },
  { additionalProperties: false },
);
export type CreateEndpointInput = Static<typeof CreateEndpointBody>;

const EndpointFields = {
  id: Type.String({ pattern: ENDPOINT_ID_PATTERN }),
  url: Type.String(),
  types: Type.Array(WebhookTypeSchema),
  description: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  status: StringEnum(['active', 'disabled'] as const, {
    description: '`disabled` once the receiver answered 410 Gone: nothing more is sent to it',
  }),
  disabledAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  disabledReason: Type.Union([Type.String(), Type.Null()]),
};

/** An endpoint as listed: no secret. */
export const EndpointSummary = Type.Object(EndpointFields, { title: 'Webhook endpoint' });
export type EndpointSummary = Static<typeof EndpointSummary>;

/** An endpoint as created and read by id: with its signing secret. */
export const Endpoint = Type.Object(
  {
    ...EndpointFields,
    secret: Type.String({
      pattern: '^whsec_[A-Za-z0-9+/=]+$',
      description: 'Standard Webhooks signing secret: `whsec_` + base64 of 24 random bytes',
    }),
  },
  { title: 'Webhook endpoint with its secret' },
);
export type Endpoint = Static<typeof Endpoint>;

export const EndpointList = Type.Object({ webhooks: Type.Array(EndpointSummary) });

export const EndpointParams = Type.Object({ id: Type.String({ pattern: ENDPOINT_ID_PATTERN }) });
export const MessageParams = Type.Object({
  id: Type.String({ pattern: ENDPOINT_ID_PATTERN }),
  messageId: Type.String({ pattern: MESSAGE_ID_PATTERN }),
});

/** The retry takes no options: a body, if one is sent, must be `{}` (an unknown field is a 400, as elsewhere). */
export const RetryBody = Type.Object({}, { additionalProperties: false, description: 'Nothing, or {}' });

export const MESSAGE_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

export const Attempt = Type.Object({
  at: Type.String({ format: 'date-time' }),
  statusCode: Type.Union([Type.Integer(), Type.Null()], { description: "The receiver's HTTP status, if it answered" }),
  error: Type.Union([Type.String(), Type.Null()], {
    description: 'Why there was no answer: an error code such as TIMEOUT or ECONNREFUSED (never a body)',
  }),
  durationMs: Type.Integer({ minimum: 0 }),
});
export type Attempt = Static<typeof Attempt>;

export const Delivery = Type.Object(
  {
    id: Type.String({ description: 'The message id: the `webhook-id` header, the same on every attempt' }),
    type: WebhookTypeSchema,
    callId: Type.String(),
    status: StringEnum(MESSAGE_STATUSES),
    createdAt: Type.String({ format: 'date-time' }),
    nextAttemptAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description:
        'While pending: the earliest time it may be attempted. A message also waits until the earlier messages of its call to this endpoint are delivered or failed, so one queued behind a retrying message shows a time already past',
    }),
    finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    attempts: Type.Array(Attempt),
  },
  { title: 'Webhook delivery' },
);
export type Delivery = Static<typeof Delivery>;

export const DeliveryQuery = Type.Object(
  {
    status: Type.Optional(StringEnum(MESSAGE_STATUSES)),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    cursor: Type.Optional(Type.String({ pattern: '^[0-9]{1,19}$' })),
  },
  { additionalProperties: false },
);

export const DeliveryList = Type.Object({
  deliveries: Type.Array(Delivery),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

/** What a call message carries: the view after the change and the event that made it. */
export const CallMessageData = Type.Object({
  call: CallView,
  event: Type.Object({
    seq: Type.Integer({ minimum: 0, description: 'The version the event produced; 0 for the creation' }),
    id: Type.Union([Type.String(), Type.Null()]),
    type: Type.String(),
    source: Type.String(),
    at: Type.String({ format: 'date-time' }),
  }),
});
export type CallMessageData = Static<typeof CallMessageData>;

/** What an escalation message carries: the escalation (SPEC §8) as it stands after the change. */
export const EscalationData = Type.Object(
  {
    id: Type.String(),
    callId: Type.String(),
    operatorId: Type.Union([Type.String(), Type.Null()]),
    topic: Type.String({ description: "The customer's question (personal data: in the body only)" }),
    status: StringEnum(['open', 'acknowledged', 'resolved'] as const),
    createdAt: Type.String({ format: 'date-time' }),
    acknowledgedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    acknowledgedBy: Type.Union([Type.String(), Type.Null()]),
    resolvedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    resolvedBy: Type.Union([Type.String(), Type.Null()]),
    resolution: Type.Union([Type.String(), Type.Null()]),
  },
  { title: 'Escalation message data' },
);
export type EscalationData = Static<typeof EscalationData>;
