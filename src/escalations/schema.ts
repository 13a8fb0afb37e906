/** The escalation record (SPEC §8) and the bodies of its routes, as TypeBox schemas; the types come from them. */
import { type Static, Type } from '@sinclair/typebox';
import { StringEnum } from '../schema-types.js';

export const ESCALATION_STATUSES = ['open', 'acknowledged', 'resolved'] as const;
export const EscalationStatus = StringEnum(ESCALATION_STATUSES);
export type EscalationStatus = Static<typeof EscalationStatus>;

/** Who acknowledges or resolves: an operator-style id (the same characters as a callId). */
export const PersonId = Type.String({
  pattern: '^[A-Za-z0-9._:-]{1,128}$',
  minLength: 1,
  maxLength: 128,
  description: 'Who did it: letters, digits, ".", "_", ":", "-" (like an operatorId)',
  examples: ['supervisor.anna'],
});

/**
 * A supervisor's note: 1-2000 characters with at least one that is not white space; line breaks
 * and tabs allowed, no other control characters or lone surrogates.
 */
export const Resolution = Type.String({
  minLength: 1,
  maxLength: 2000,
  pattern: '^(?=[\\s\\S]*\\S)(?:[^\\p{Cc}\\p{Cs}]|[\\n\\t])*$',
  description: 'What was done or answered (1-2000 characters, not only white space)',
});

export const EscalationId = Type.String({
  pattern: '^[A-Za-z0-9._:-]{1,128}$',
  minLength: 1,
  maxLength: 128,
  description: "The escalation's id (the `id` of the call's `supervisor.escalation` action)",
});

const Time = Type.String({ format: 'date-time' });
const NullableTime = Type.Union([Time, Type.Null()]);
const NullableText = Type.Union([Type.String(), Type.Null()]);

export const Escalation = Type.Object(
  {
    id: Type.String(),
    callId: Type.String(),
    operatorId: NullableText,
    topic: Type.String({ description: "The customer's question (personal data: never logged)" }),
    status: EscalationStatus,
    createdAt: Time,
    acknowledgedAt: NullableTime,
    acknowledgedBy: NullableText,
    resolvedAt: NullableTime,
    resolvedBy: Type.Union([Type.String(), Type.Null()], {
      description: 'Who resolved it (beside SPEC §8: the `by` of resolve)',
    }),
    resolution: NullableText,
  },
  { title: 'Escalation' },
);
export type Escalation = Static<typeof Escalation>;

export const EscalationParams = Type.Object({ id: EscalationId });

export const AcknowledgeBody = Type.Object({ by: PersonId }, { additionalProperties: false });
export type AcknowledgeBody = Static<typeof AcknowledgeBody>;

export const ResolveBody = Type.Object({ by: PersonId, resolution: Resolution }, { additionalProperties: false });
export type ResolveBody = Static<typeof ResolveBody>;

export const EscalationListQuery = Type.Object(
  {
    status: Type.Optional(EscalationStatus),
    callId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._:-]{1,128}$', minLength: 1, maxLength: 128 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    cursor: Type.Optional(
      Type.String({ minLength: 1, maxLength: 400, description: "The previous page's `nextCursor` (opaque)" }),
    ),
  },
  { additionalProperties: false },
);
export type EscalationListQuery = Static<typeof EscalationListQuery>;

export const EscalationList = Type.Object({
  escalations: Type.Array(Escalation),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});
