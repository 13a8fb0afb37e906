/**
 * The scenario file format (SPEC §11), as TypeBox schemas: the JSON Schema in
 * scenarios/scenario.schema.json is generated from these (npm run scenarios:schema), the
 * loader validates files with them, and POST /v1/simulate validates its steps with them.
 */
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { CALL_EVENT_TYPES, CONTACT_FIELDS } from '../../machines/call.events.js';
import { createCallMachine, DEFAULT_LIMITS, DELAY_TIMER_NAMES, type EndReason } from '../../machines/call.machine.js';
import type { Effect } from '../../machines/call.runtime.js';
import { describeMachine } from '../../machines/describe.js';
import { Customer, EVENT_DATA_SCHEMAS, Locale, StringEnum } from '../http/schemas.js';

/** Every prompt key the machine can emit, read from the machine itself (entry and transitions). */
export const PROMPT_KEYS: readonly string[] = (() => {
  const described = describeMachine(createCallMachine(DEFAULT_LIMITS), DEFAULT_LIMITS);
  const keys = new Set([...described.nodes, ...described.transitions].flatMap((item) => item.prompts));
  return [...keys].sort();
})();

/** The timers a `wait` step can let fire. */
export const TIMER_NAMES = Object.values(DELAY_TIMER_NAMES);
export type TimerName = (typeof TIMER_NAMES)[number];

export const END_REASONS = [
  'completed',
  'repeat-limit',
  'connection-lost',
  'profanity',
  'offer-declined',
  'hangup',
] as const satisfies readonly EndReason[];
// Fails to compile when the machine gains an end reason this list lacks. `abandoned` is the
// service's idle job (SPEC §10), which no scenario step can bring about.
const everyEndReason: Exclude<EndReason, (typeof END_REASONS)[number] | 'abandoned'> extends never ? true : false =
  true;
void everyEndReason;

const ACTION_TYPES = ['supervisor.escalation'] as const satisfies readonly Effect['type'][];

const EventType = StringEnum(CALL_EVENT_TYPES, { description: 'An event of the call-flow vocabulary' });

const Count = Type.Integer({ minimum: 0 });

export const Expectation = Type.Object(
  {
    prompts: Type.Optional(
      Type.Array(StringEnum(PROMPT_KEYS), {
        description: 'Exactly the prompt keys this step gives, in order ([] for none)',
      }),
    ),
    texts: Type.Optional(
      Type.Array(Type.String(), {
        description: "Exactly the rendered phrases of this step, in order (the customer's name filled in)",
      }),
    ),
    state: Type.Optional(
      Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })], {
        description:
          'An active state path, or several: each must equal an active path or be a prefix of one ("hold", "conversation.dialogue.offerPending")',
      }),
    ),
    status: Type.Optional(StringEnum(['active', 'ended'] as const)),
    endReason: Type.Optional(Type.Union([StringEnum(END_REASONS), Type.Null()])),
    counters: Type.Optional(
      Type.Object(
        { repeats: Type.Optional(Count), connectionAttempts: Type.Optional(Count), warnings: Type.Optional(Count) },
        { additionalProperties: false, description: 'The listed counters have these values; others are not checked' },
      ),
    ),
    allowedEvents: Type.Optional(
      Type.Array(EventType, {
        uniqueItems: true,
        description: 'Exactly this set of events is allowed now (any order)',
      }),
    ),
    actions: Type.Optional(
      Type.Array(StringEnum(ACTION_TYPES), { description: 'Exactly the side effects this step starts, by type' }),
    ),
    skippedFields: Type.Optional(
      Type.Array(StringEnum(CONTACT_FIELDS), {
        uniqueItems: true,
        description: 'Exactly the contact fields skipped so far (any order)',
      }),
    ),
    timers: Type.Optional(
      Type.Array(StringEnum(TIMER_NAMES), {
        uniqueItems: true,
        description: 'Exactly the timers pending after the step, by name ([] for none)',
      }),
    ),
    refused: Type.Optional(
      Type.Boolean({
        description:
          'true: the event is not allowed now (409) and changes nothing; the other fields describe the call as it stays',
      }),
    ),
  },
  { additionalProperties: false, description: 'What must hold after the step; only the listed fields are checked' },
);
export type Expectation = Static<typeof Expectation>;

const Data = Type.Object({}, { additionalProperties: true, description: "The event's data (per event type)" });

export const EventStep = Type.Object(
  { event: EventType, data: Type.Optional(Data), expect: Type.Optional(Expectation) },
  { additionalProperties: false },
);
export const WaitStep = Type.Object(
  {
    wait: StringEnum(TIMER_NAMES, { description: 'Let the pending timer fire now' }),
    expect: Type.Optional(Expectation),
  },
  { additionalProperties: false },
);
export type EventStep = Static<typeof EventStep>;
export type WaitStep = Static<typeof WaitStep>;
export type ScenarioStep = EventStep | WaitStep;

/**
 * A step, strictly: `wait` steps against WaitStep, all others against EventStep, and `data`
 * against its event's own schema (the same EVENT_DATA_SCHEMAS the event route uses). if/then
 * instead of anyOf so that an error comes from the one branch the step meant.
 */
const dataRules = CALL_EVENT_TYPES.map((type) => ({
  if: { properties: { event: { const: type } }, required: ['event'] },
  // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword, never awaited
  then: { properties: { data: EVENT_DATA_SCHEMAS[type] } },
}));
export const StrictStep = Type.Unsafe<ScenarioStep>({
  type: 'object',
  if: { required: ['wait'] },
  // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword, never awaited
  then: WaitStep,
  else: { ...EventStep, allOf: dataRules },
});

/** The envelope of a step for the HTTP schema (OpenAPI 3.0 has no if/then): checked strictly in the route. */
export const StepEnvelope = Type.Object(
  {
    event: Type.Optional(EventType),
    wait: Type.Optional(StringEnum(TIMER_NAMES)),
    data: Type.Optional(Data),
    expect: Type.Optional(Expectation),
  },
  {
    additionalProperties: false,
    description: 'Either {event, data?} or {wait: "hold.check"}, with an optional expect',
  },
);

export const MAX_STEPS = 500;

export const Scenario = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.Optional(Type.String({ description: 'What the flow shows, for the reader' })),
    customer: Type.Optional(Customer),
    locale: Type.Optional(Locale),
    steps: Type.Array(StrictStep, { minItems: 1, maxItems: MAX_STEPS }),
  },
  { additionalProperties: false },
);
export type Scenario = Static<typeof Scenario>;

/** The JSON Schema file for editors and other tools (scenarios/scenario.schema.json). */
export function scenarioJsonSchema(): TSchema & Record<string, unknown> {
  // JSON round trip: drops TypeBox's symbol keys.
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://callflow.dev/schemas/scenario.schema.json',
    title: 'callflow scenario',
    description: 'One call flow: events (or a hold check firing) and what must hold after each (docs/scenarios.md)',
    ...JSON.parse(JSON.stringify(Scenario)),
  };
}
