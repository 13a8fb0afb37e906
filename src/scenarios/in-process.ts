/**
 * A Driver on the statechart runtime itself, with a simulated clock: the runtime's timer
 * changes are kept as data, and `wait` moves the clock to the pending timer's due time and
 * delivers its event at once (no real waiting). Nothing is stored; the same rules as the
 * event path apply (an event the script does not allow now is refused, an ended call takes
 * nothing).
 */
import { type CallEventType, type CustomerName, toMachineEvent } from '../../machines/call.events.js';
import {
  type CallRuntime,
  type CallSnapshot,
  counters,
  createCallRuntime,
  type Effect,
  type Step,
  statePaths,
} from '../../machines/call.runtime.js';
import { type Catalogue, type Locale, renderPrompt } from '../../machines/catalogue.js';
import type { Observation } from './expect.js';
import type { TimerName } from './format.js';
import type { Driver, StepOutcome } from './run.js';

interface PendingTimer {
  name: string;
  dueAt: number;
  event: { type: string };
}

export interface InProcessOptions {
  /** The runtime to drive (the service's own in POST /v1/simulate); default limits otherwise. */
  runtime?: CallRuntime;
  /** The catalogues the prompts render from (a script version's, or a draft's); the shipped ones otherwise. */
  catalogues?: Record<Locale, Catalogue>;
  /** Where the simulated clock starts (ms since the epoch). */
  startAt?: number;
}

export function inProcessDriver(options: InProcessOptions = {}): Driver {
  const runtime = options.runtime ?? createCallRuntime();
  let now = options.startAt ?? Date.now();
  let snapshot: CallSnapshot | null = null;
  let locale: Locale = 'ru';
  const timers = new Map<string, PendingTimer>();

  const current = (): CallSnapshot => {
    if (!snapshot) throw new Error('the call has not been started');
    return snapshot;
  };

  const observe = (step: Step | null, effects: Effect[]): Observation => {
    const s = current();
    const keys = step?.prompts ?? [];
    return {
      prompts: keys.map((key) => renderPrompt(key, s.context.customer, locale, options.catalogues)),
      state: statePaths(s),
      status: s.status === 'active' ? 'active' : 'ended',
      endReason: s.context.endReason,
      counters: counters(s.context),
      allowedEvents: runtime.allowedEvents(s),
      actions: effects,
      skippedFields: s.context.skippedFields,
      timers: [...timers.values()]
        .sort((a, b) => a.dueAt - b.dueAt)
        .map((t) => ({ name: t.name, dueAt: new Date(t.dueAt).toISOString() })),
    };
  };

  const take = (step: Step): Observation => {
    snapshot = step.snapshot;
    for (const change of step.timers) {
      if (change.op === 'cancel') timers.delete(change.id);
      else timers.set(change.id, { name: change.name, dueAt: now + Math.round(change.delayMs), event: change.event });
    }
    // An ended call keeps no timers (the service deletes them with the ending commit).
    if (step.snapshot.status !== 'active') timers.clear();
    return observe(step, step.effects);
  };

  return {
    async start(call: { customer?: CustomerName; locale?: Locale }) {
      locale = call.locale ?? 'ru';
      timers.clear();
      return take(runtime.start({ customer: call.customer ?? null }));
    },

    async event(type: CallEventType, data: Record<string, unknown> | undefined): Promise<StepOutcome> {
      const s = current();
      const event = toMachineEvent(type, data ?? {});
      if (!runtime.allows(s, event)) {
        const detail =
          s.status !== 'active'
            ? 'the call has ended'
            : `"${type}" is not allowed in state ${JSON.stringify(statePaths(s))} (allowed: ${runtime.allowedEvents(s).join(', ')})`;
        return { kind: 'refused', observation: observe(null, []), detail };
      }
      return { kind: 'applied', observation: take(runtime.apply(s, event)) };
    },

    async wait(name: TimerName): Promise<StepOutcome> {
      const s = current();
      const due = [...timers.entries()].filter(([, t]) => t.name === name).sort(([, a], [, b]) => a.dueAt - b.dueAt)[0];
      if (!due) {
        return {
          kind: 'error',
          detail: `no ${name} is pending (state ${JSON.stringify(statePaths(s))}${s.status === 'active' ? '' : ', the call has ended'})`,
        };
      }
      const [id, timer] = due;
      now = Math.max(now, timer.dueAt);
      timers.delete(id);
      return { kind: 'applied', observation: take(runtime.apply(s, timer.event)) };
    },
  };
}
