/** The adherence report (SPEC §8) as TypeBox schemas; the types come from them. */
import { type Static, Type } from '@sinclair/typebox';
import { StringEnum } from '../schema-types.js';

/** Every end reason the service gives (SPEC §3 and §10): each is a key of `ended`, with 0 when none. */
export const END_REASONS = [
  'completed',
  'repeat-limit',
  'connection-lost',
  'profanity',
  'offer-declined',
  'hangup',
  'abandoned',
] as const;

const Count = Type.Integer({ minimum: 0 });

export const AdherenceFigures = Type.Object(
  {
    calls: Count,
    ended: Type.Record(Type.String(), Count, {
      description: 'Calls that have ended, by endReason (every known reason present, 0 when none)',
    }),
    holds: Count,
    holdChecks: Count,
    longestHoldSeconds: Type.Number({ minimum: 0 }),
    repeatAnswers: Count,
    repeatLimits: Count,
    connectionLost: Count,
    profanityWarnings: Count,
    profanityTerminations: Count,
    escalations: Count,
    skippedContacts: Count,
  },
  { title: 'Adherence figures (definitions: docs/supervisor.md)' },
);
export type AdherenceFigures = Static<typeof AdherenceFigures>;

export const GroupBy = StringEnum(['operator', 'day'] as const);
export type GroupBy = Static<typeof GroupBy>;

export const AdherenceGroup = Type.Composite([
  Type.Object({
    key: Type.Union([Type.String(), Type.Null()], {
      description: 'The operatorId (null: calls with none), or the UTC day YYYY-MM-DD',
    }),
  }),
  AdherenceFigures,
]);
export type AdherenceGroup = Static<typeof AdherenceGroup>;

export const AdherenceReport = Type.Object({
  from: Type.String({ format: 'date-time' }),
  to: Type.String({ format: 'date-time' }),
  groupBy: GroupBy,
  groups: Type.Array(AdherenceGroup),
  totals: AdherenceFigures,
});
export type AdherenceReport = Static<typeof AdherenceReport>;

const DateParam = Type.String({
  minLength: 10,
  maxLength: 40,
  description: 'An ISO 8601 date (YYYY-MM-DD, UTC midnight) or date-time with its offset',
  examples: ['2026-11-01'],
});

export const AdherenceQuery = Type.Object(
  {
    from: DateParam,
    to: DateParam,
    groupBy: Type.Optional(GroupBy),
    format: Type.Optional(StringEnum(['json', 'csv'] as const)),
  },
  { additionalProperties: false },
);
export type AdherenceQuery = Static<typeof AdherenceQuery>;

export const CallAdherence = Type.Composite([Type.Object({ callId: Type.String() }), AdherenceFigures]);
export type CallAdherence = Static<typeof CallAdherence>;
