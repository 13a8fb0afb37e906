/**
 * The schemas of POST /v1/simulate (SPEC §11): the body and the transcript it answers. Apart
 * from the route so the console's types (public/types.d.ts) can read them without the server.
 */
import { type Static, Type } from '@sinclair/typebox';
import { MAX_STEPS, StepEnvelope } from '../scenarios/format.js';
import { ScriptBody } from '../scripts/schema.js';
import { CallView, Customer, Locale, StringEnum } from './schemas.js';

/** Up to 1 MiB of YAML is what the body limit lets through anyway; a scenario is a few KiB. */
const MAX_SCENARIO_CHARS = 256 * 1024;

export const SimulateBody = Type.Object(
  {
    customer: Type.Optional(Customer),
    locale: Type.Optional(Locale),
    steps: Type.Optional(Type.Array(StepEnvelope, { minItems: 1, maxItems: MAX_STEPS })),
    scenario: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: MAX_SCENARIO_CHARS,
        description: 'A scenario file (YAML text) instead of customer, locale and steps; its errors name the line',
      }),
    ),
    scriptVersion: Type.Optional(
      Type.Integer({ minimum: 1, description: 'Run on this published script version (default: the current one)' }),
    ),
    draft: Type.Optional({
      ...ScriptBody,
      description: 'Run on this unpublished script (as PUT /v1/script takes it) instead of a published version',
    }),
  },
  { additionalProperties: false, description: 'Either `steps` (with `customer` and `locale`) or `scenario`' },
);

const CallAfter = Type.Pick(CallView, [
  'prompts',
  'state',
  'status',
  'endReason',
  'counters',
  'allowedEvents',
  'actions',
  'skippedFields',
  'timers',
]);

const Mismatch = Type.Object({ field: Type.String(), expected: Type.String(), actual: Type.String() });

const TranscriptStep = Type.Object({
  step: Type.Integer({ minimum: 1, description: '1-based, as in reports' }),
  line: Type.Union([Type.Integer(), Type.Null()], { description: 'Its line in the scenario file, when one was given' }),
  event: Type.Optional(Type.String()),
  wait: Type.Optional(Type.String()),
  outcome: StringEnum(['applied', 'refused', 'error', 'not-run'] as const, {
    description:
      'applied; refused: not allowed now, nothing changed; error: could not run (no check pending); not-run: after an earlier step could not run',
  }),
  detail: Type.Union([Type.String(), Type.Null()], { description: 'Why it was refused or could not run' }),
  ...Type.Partial(CallAfter).properties,
  expect: Type.Optional(
    Type.Object({ passed: Type.Boolean(), mismatches: Type.Array(Mismatch) }, { description: 'When the step had one' }),
  ),
  failure: Type.Union([Type.String(), Type.Null()], { description: 'Why the step failed, as the CLI reports it' }),
});

export const Transcript = Type.Object(
  {
    name: Type.Union([Type.String(), Type.Null()]),
    passed: Type.Boolean({ description: 'No step failed: every expectation held and every step could run' }),
    completed: Type.Boolean({ description: 'Every step ran' }),
    start: CallAfter,
    steps: Type.Array(TranscriptStep),
  },
  { title: 'Transcript' },
);
export type Transcript = Static<typeof Transcript>;
