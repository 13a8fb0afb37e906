/**
 * Property: random sequences of API events (and hold-check firings), applied through the
 * runtime the way the service does (only when `allows` says so), never throw, never break the
 * invariants, and agree with a tiny reference model of SPEC §2 written here from the text:
 * what is allowed when, the prompts, the counters, the end reason, the escalations, the
 * skipped fields and whether a hold check is armed. Snapshots are sometimes stored and
 * restored between events, as the service does.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CALL_EVENT_TYPES,
  type CallEvent,
  type CallEventType,
  type ContactField,
  type CustomerName,
} from '../../machines/call.events.js';
import { type CallLimits, DEFAULT_LIMITS, type EndReason } from '../../machines/call.machine.js';
import { type CallRuntime, type CallSnapshot, createCallRuntime } from '../../machines/call.runtime.js';
import { expectRenderable, HOLD_TIMER_EVENT, stateOf } from './helpers.js';

type AnyEvent = CallEvent | typeof HOLD_TIMER_EVENT;

// ---------------------------------------------------------------------------------------------
// The reference model: SPEC §2 in plain code, independent of XState.

interface Model {
  phase: 'conversation' | 'hold' | 'connection' | 'ended';
  offerPending: boolean;
  answered: boolean;
  repeats: number;
  attempts: number;
  warnings: number;
  endReason: EndReason | null;
  customer: CustomerName | null;
  skipped: ContactField[];
  holdArmed: boolean;
}

const SITUATIONS: CallEventType[] = [
  'customer.prolonging',
  'call.hold',
  'answer.given',
  'customer.prank',
  'customer.cannot-hear',
  'customer.inaudible',
  'customer.profanity',
  'customer.location-question',
  'customer.unknown-topic',
  'customer.non-citizen',
  'customer.no-card',
  'customer.contact-refused',
  'customer.third-party',
];

function modelAllows(m: Model, type: string): boolean {
  if (m.phase === 'ended') return false;
  if (type === 'customer.identified' || type === 'call.hangup') return true;
  switch (m.phase) {
    case 'hold':
      return type === 'call.unhold' || type === 'customer.speech' || type === HOLD_TIMER_EVENT.type;
    case 'connection':
      return type === 'customer.cannot-hear' || type === 'customer.inaudible' || type === 'connection.restored';
    case 'conversation':
      if (type === 'customer.repeat-request') return m.answered;
      if (type === 'offer.accepted' || type === 'offer.declined') return m.offerPending;
      return (SITUATIONS as string[]).includes(type);
  }
}

interface ModelStep {
  prompts: string[];
  effects: { type: 'supervisor.escalation'; topic: string }[];
}

function modelApply(m: Model, event: AnyEvent, limits: CallLimits): ModelStep {
  const out: ModelStep = { prompts: [], effects: [] };
  const say = (key: string) => out.prompts.push(key);
  const end = (reason: EndReason) => {
    m.phase = 'ended';
    m.endReason = reason;
    m.holdArmed = false;
  };
  switch (event.type) {
    case 'customer.identified':
      m.customer = { firstName: event.firstName, ...(event.patronymic ? { patronymic: event.patronymic } : {}) };
      break;
    case 'call.hangup':
      end('hangup');
      break;
    case 'customer.prolonging':
      say('closing.offer-help');
      end('completed');
      break;
    case 'call.hold':
      say('hold.start');
      m.phase = 'hold';
      m.holdArmed = true;
      break;
    case 'customer.speech':
    case HOLD_TIMER_EVENT.type:
      say('hold.check');
      break;
    case 'call.unhold':
      say('hold.return');
      m.phase = 'conversation';
      m.holdArmed = false;
      break;
    case 'answer.given':
      m.answered = true;
      m.repeats = 0;
      break;
    case 'customer.repeat-request':
      m.repeats += 1;
      if (m.repeats <= limits.maxRepeats) say('repeat.answer');
      else {
        say('repeat.limit');
        end('repeat-limit');
      }
      break;
    case 'customer.cannot-hear':
    case 'customer.inaudible':
      m.attempts += 1;
      if (m.attempts <= limits.maxConnectionAttempts) {
        say(event.type === 'customer.cannot-hear' ? 'connection.cannot-hear' : 'connection.inaudible');
        m.phase = 'connection';
      } else {
        say('connection.call-back');
        end('connection-lost');
      }
      break;
    case 'connection.restored':
      m.attempts = 0;
      m.phase = 'conversation';
      break;
    case 'customer.profanity':
      if (m.warnings === 0) {
        m.warnings = 1;
        say('profanity.warning');
      } else {
        say('profanity.termination');
        end('profanity');
      }
      break;
    case 'customer.prank':
      say('prank.warning');
      break;
    case 'customer.location-question':
      say('info.location');
      break;
    case 'customer.unknown-topic':
      say('info.unknown-topic');
      out.effects.push({ type: 'supervisor.escalation', topic: event.topic });
      break;
    case 'customer.no-card':
      say('reassure.no-card');
      break;
    case 'customer.contact-refused':
      say('reassure.skip-contact');
      if (!m.skipped.includes(event.field)) m.skipped.push(event.field);
      break;
    case 'customer.third-party':
      say('registration.third-party');
      break;
    case 'customer.non-citizen':
      say('offer.mail-order');
      m.offerPending = true;
      break;
    case 'offer.accepted':
      m.offerPending = false;
      break;
    case 'offer.declined':
      say('offer.declined');
      end('offer-declined');
      break;
  }
  return out;
}

/** Where the model says the machine is, in the form stateOf gives. */
function modelState(m: Model): string | string[] {
  if (m.phase !== 'conversation') return m.phase === 'ended' ? 'ended' : m.phase;
  return [
    `conversation.answer.${m.answered ? 'given' : 'awaiting'}`,
    `conversation.conduct.${m.warnings > 0 ? 'warned' : 'polite'}`,
    // `greeting` or `talking` is the machine's own business; a pending offer is not.
    `conversation.dialogue.${m.offerPending ? 'offerPending' : 'greeting|talking'}`,
  ];
}

// ---------------------------------------------------------------------------------------------
// Generators.

const nameArb = fc.record(
  { firstName: fc.string({ minLength: 1, maxLength: 100 }), patronymic: fc.string({ minLength: 1, maxLength: 100 }) },
  { requiredKeys: ['firstName'] },
);

const simpleEvent = (type: CallEventType) => fc.constant({ type } as CallEvent);

/** Every API event type with valid data, plus the hold timer; the counted ones more often. */
const eventArb: fc.Arbitrary<AnyEvent> = fc.oneof(
  { arbitrary: nameArb.map((name) => ({ type: 'customer.identified', ...name }) as CallEvent), weight: 1 },
  {
    arbitrary: fc
      .option(fc.constantFrom('customer', 'operator', 'network'), { nil: undefined })
      .map((by) => (by ? { type: 'call.hangup', by } : { type: 'call.hangup' }) as CallEvent),
    weight: 1,
  },
  {
    arbitrary: fc
      .string({ minLength: 1, maxLength: 500 })
      .map((topic) => ({ type: 'customer.unknown-topic', topic }) as CallEvent),
    weight: 1,
  },
  {
    arbitrary: fc
      .constantFrom('phone', 'email')
      .map((field) => ({ type: 'customer.contact-refused', field }) as CallEvent),
    weight: 1,
  },
  { arbitrary: fc.constant(HOLD_TIMER_EVENT), weight: 2 },
  ...CALL_EVENT_TYPES.filter(
    (t) => !['customer.identified', 'call.hangup', 'customer.unknown-topic', 'customer.contact-refused'].includes(t),
  ).map((type) => ({
    arbitrary: simpleEvent(type),
    weight: type === 'customer.repeat-request' ? 16 : type === 'customer.prolonging' ? 1 : 3,
  })),
);

/**
 * Up to 40 steps: an event, and whether the snapshot goes through persist -> JSON -> restore
 * before it. Events sometimes come in bursts of the same event, so the counting boundaries
 * (four repeats in a row, four attempts in one episode) are actually reached.
 */
const stepsArb = fc
  .array(
    fc.record({
      event: eventArb,
      times: fc.oneof(
        { arbitrary: fc.constant(1), weight: 3 },
        { arbitrary: fc.integer({ min: 2, max: 5 }), weight: 1 },
      ),
      storeFirst: fc.boolean(),
    }),
    { maxLength: 40, size: 'medium' },
  )
  .map((chunks) =>
    chunks
      .flatMap(({ event, times, storeFirst }) => Array.from({ length: times }, () => ({ event, storeFirst })))
      .slice(0, 40),
  );

const LIMIT_SETS: CallLimits[] = [
  DEFAULT_LIMITS,
  { maxRepeats: 1, maxConnectionAttempts: 2, holdCheckSeconds: 0.2 },
  { maxRepeats: 0, maxConnectionAttempts: 0, holdCheckSeconds: 1 },
];
const RUNTIMES: CallRuntime[] = LIMIT_SETS.map((limits) => createCallRuntime(limits));

// ---------------------------------------------------------------------------------------------

/** How the generated calls ended, per runtime: the property must reach every boundary. */
const endings = new Map<
  CallRuntime,
  { reasons: Set<string>; repeatsAtLimit: Set<number>; attemptsAtLoss: Set<number> }
>();

/** The machine's state with the dialogue's greeting/talking merged, as modelState writes it. */
function comparableState(state: string | string[]): string | string[] {
  return Array.isArray(state) ? state.map((path) => path.replace(/\.(greeting|talking)$/, '.greeting|talking')) : state;
}

function runSequence(runtime: CallRuntime, steps: { event: AnyEvent; storeFirst: boolean }[]) {
  const { limits } = runtime;
  const model: Model = {
    phase: 'conversation',
    offerPending: false,
    answered: false,
    repeats: 0,
    attempts: 0,
    warnings: 0,
    endReason: null,
    customer: null,
    skipped: [],
    holdArmed: false,
  };
  let snapshot: CallSnapshot = runtime.start().snapshot;
  const armed = new Set<string>();

  steps.forEach(({ event, storeFirst }, i) => {
    const where = `step ${i} ${JSON.stringify(event)}`;
    if (storeFirst) snapshot = runtime.restore(JSON.parse(JSON.stringify(runtime.persist(snapshot))));
    // Our persist is a shortcut of xstate's own: the stored form must not drift from it.
    const xstatePersisted = runtime.machine.getPersistedSnapshot(snapshot) as unknown as Record<string, unknown>;
    expect(runtime.persist(snapshot), `${where}: persisted as xstate would`).toStrictEqual({
      value: xstatePersisted.value,
      context: xstatePersisted.context,
      status: xstatePersisted.status,
      historyValue: xstatePersisted.historyValue,
    });

    const allowed = runtime.allows(snapshot, event);
    expect(
      { allows: allowed, allowedEvents: [...runtime.allowedEvents(snapshot)].sort() },
      `${where}: what is allowed`,
    ).toEqual({
      allows: modelAllows(model, event.type),
      allowedEvents: CALL_EVENT_TYPES.filter((type) => modelAllows(model, type)).sort(),
    });

    if (!allowed) {
      // The service answers 409 and calls nothing, so the stored snapshot stays as it is.
      const before = JSON.stringify(runtime.persist(snapshot));
      if (snapshot.status === 'active') {
        // In an active call the machine would ignore the event as well. (Not so for an ended
        // one: XState's pure transition still takes the root's customer.identified and
        // call.hangup there, which is why apply must only follow allows.)
        const ignored = runtime.apply(snapshot, event);
        expect(
          {
            snapshot: JSON.stringify(runtime.persist(ignored.snapshot)),
            out: [...ignored.prompts, ...ignored.effects, ...ignored.timers],
          },
          `${where}: ignored`,
        ).toEqual({ snapshot: before, out: [] });
      }
      expect(JSON.stringify(runtime.persist(snapshot)), `${where}: untouched`).toBe(before);
      return;
    }

    const step = runtime.apply(snapshot, event);
    snapshot = step.snapshot;
    const expected = modelApply(model, event, limits);

    let badTimer: unknown = null;
    for (const change of step.timers) {
      if (change.op === 'arm') {
        const wanted = {
          op: 'arm',
          id: HOLD_TIMER_EVENT.type,
          name: 'hold.check',
          event: HOLD_TIMER_EVENT,
          delayMs: limits.holdCheckSeconds * 1000,
        };
        if (JSON.stringify(change) !== JSON.stringify(wanted)) badTimer = change;
        armed.add(change.id);
      } else armed.delete(change.id);
    }

    const { context } = snapshot;
    expect(
      {
        prompts: step.prompts,
        effects: step.effects,
        state: comparableState(stateOf(snapshot)),
        status: snapshot.status,
        repeats: context.repeats,
        attempts: context.connectionAttempts,
        warnings: context.warnings,
        endReason: context.endReason,
        customer: context.customer,
        skipped: context.skippedFields,
        holdArmed: armed.size > 0,
        badTimer,
      },
      where,
    ).toEqual({
      prompts: expected.prompts,
      effects: expected.effects,
      state: modelState(model),
      status: model.phase === 'ended' ? 'done' : 'active',
      repeats: model.repeats,
      attempts: model.attempts,
      warnings: model.warnings,
      endReason: model.endReason,
      customer: model.customer,
      skipped: model.skipped,
      holdArmed: model.holdArmed,
      badTimer: null,
    });

    // Invariants, on the machine's own values.
    const broken: string[] = [];
    if (context.repeats > limits.maxRepeats + 1) broken.push('repeats over the limit');
    if (context.connectionAttempts > limits.maxConnectionAttempts + 1) broken.push('attempts over the limit');
    if (context.warnings > 1) broken.push('more than one warning');
    if (snapshot.status === 'done') {
      if (context.endReason === null) broken.push('ended without a reason');
      if (runtime.allowedEvents(snapshot).length > 0) broken.push('an ended call allows events');
      const seen = endings.get(runtime);
      seen?.reasons.add(context.endReason!);
      if (context.endReason === 'repeat-limit') seen?.repeatsAtLimit.add(context.repeats);
      if (context.endReason === 'connection-lost') seen?.attemptsAtLoss.add(context.connectionAttempts);
    } else if (context.endReason !== null) broken.push('an active call has an end reason');
    expect(broken, where).toEqual([]);
    for (const key of step.prompts) expectRenderable(key, context.customer);
  });
}

describe('random event sequences against the reference model', () => {
  it.each(LIMIT_SETS.map((limits, i) => [JSON.stringify(limits), i] as const))(
    'never throw and agree with the model, limits %s',
    // 500 runs of up to 40 steps: about 2 s on an idle core; room for a loaded CI machine.
    { timeout: 120_000 },
    (_, index) => {
      const runtime = RUNTIMES[index]!;
      const seen = { reasons: new Set<string>(), repeatsAtLimit: new Set<number>(), attemptsAtLoss: new Set<number>() };
      endings.set(runtime, seen);
      fc.assert(
        fc.property(stepsArb, (steps) => {
          runSequence(runtime, steps);
        }),
        { numRuns: 500 },
      );
      // The sequences did reach every way a call ends, right at the configured boundaries.
      expect([...seen.reasons].sort()).toEqual(
        ['completed', 'connection-lost', 'hangup', 'offer-declined', 'profanity', 'repeat-limit'].sort(),
      );
      expect([...seen.repeatsAtLimit]).toEqual([runtime.limits.maxRepeats + 1]);
      expect([...seen.attemptsAtLoss]).toEqual([runtime.limits.maxConnectionAttempts + 1]);
    },
  );

  it('the model catches a wrong counter (the check is not vacuous)', () => {
    const runtime = RUNTIMES[0]!;
    const broken = createCallRuntime({ ...DEFAULT_LIMITS, maxRepeats: 2 });
    const steps = [
      { event: { type: 'answer.given' } as AnyEvent, storeFirst: false },
      ...Array.from({ length: 3 }, () => ({
        event: { type: 'customer.repeat-request' } as AnyEvent,
        storeFirst: false,
      })),
    ];
    expect(() => runSequence(runtime, steps)).not.toThrow();
    // A runtime built with other limits than the model assumes disagrees on the 3rd repeat.
    expect(() => runSequence({ ...broken, limits: DEFAULT_LIMITS }, steps)).toThrow(/prompts/);
  });
});
