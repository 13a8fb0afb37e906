/**
 * SPEC §2 "Hold": the hold check on a simulated clock. A real XState actor runs the machine
 * on xstate's SimulatedClock; the pure runtime runs beside it and its timer data (arm /
 * cancel with a delay) must describe exactly the timeouts the actor has pending.
 */

import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import type { CallEvent } from '../../machines/call.events.js';
import { type CallLimits, createCallMachine, DEFAULT_LIMITS } from '../../machines/call.machine.js';
import { createCallRuntime, type Step } from '../../machines/call.runtime.js';
import { HOLD_TIMER_EVENT, IVAN_EVENT, stateOf } from './helpers.js';

/** SimulatedClock that also tells which timeouts are pending and when they are due. */
class ObservedClock extends SimulatedClock {
  readonly pending = new Map<number, number>();

  override setTimeout(fn: (...args: unknown[]) => void, timeout: number): number {
    const id = super.setTimeout(() => {
      this.pending.delete(id);
      fn();
    }, timeout);
    this.pending.set(id, this.now() + timeout);
    return id;
  }

  override clearTimeout(id: number): void {
    this.pending.delete(id);
    super.clearTimeout(id);
  }

  dueTimes(): number[] {
    return [...this.pending.values()].sort((a, b) => a - b);
  }
}

/**
 * The actor on the simulated clock and the pure runtime side by side. The runtime's timers are
 * scheduled the way the service would: `arm` at now + delayMs, `cancel` by id; when one
 * comes due its event is applied.
 */
class Twin {
  readonly clock = new ObservedClock();
  readonly said: { key: string; at: number }[] = [];
  readonly actor;
  readonly runtime;
  step: Step;
  readonly runtimeTimers = new Map<string, { due: number; event: { type: string } }>();

  constructor(limits: CallLimits = DEFAULT_LIMITS) {
    this.actor = createActor(createCallMachine(limits), {
      input: {},
      clock: this.clock,
      inspect: (ev) => {
        if (ev.type === '@xstate.action' && ev.action.type === 'say') {
          this.said.push({ key: (ev.action.params as { key: string }).key, at: this.clock.now() });
        }
      },
    });
    this.actor.start();
    this.runtime = createCallRuntime(limits);
    this.step = this.runtime.start();
    this.track(this.step);
    this.expectInStep();
  }

  get now() {
    return this.clock.now();
  }

  private track(step: Step) {
    for (const change of step.timers) {
      if (change.op === 'arm')
        this.runtimeTimers.set(change.id, { due: this.now + change.delayMs, event: change.event });
      else this.runtimeTimers.delete(change.id);
    }
  }

  /** The actor and the runtime agree on the state and on the pending timers. */
  expectInStep() {
    expect(stateOf(this.actor.getSnapshot())).toEqual(stateOf(this.step.snapshot));
    expect(this.actor.getSnapshot().context).toEqual(this.step.snapshot.context);
    const runtimeDue = [...this.runtimeTimers.values()].map((t) => t.due).sort((a, b) => a - b);
    expect(this.clock.dueTimes()).toEqual(runtimeDue);
  }

  send(event: CallEvent): Step {
    expect(this.runtime.allows(this.step.snapshot, event)).toBe(true);
    this.actor.send(event);
    this.step = this.runtime.apply(this.step.snapshot, event);
    this.track(this.step);
    this.expectInStep();
    return this.step;
  }

  /** Moves the clock to `until`, stopping at every due time so re-arming starts at the right moment. */
  advanceTo(until: number): string[] {
    const fired: string[] = [];
    for (;;) {
      const next = [...this.runtimeTimers.entries()].sort((a, b) => a[1].due - b[1].due)[0];
      if (!next || next[1].due > until) break;
      const [id, timer] = next;
      const saidBefore = this.said.length;
      this.clock.set(timer.due);
      this.runtimeTimers.delete(id);
      this.step = this.runtime.apply(this.step.snapshot, timer.event);
      this.track(this.step);
      // The actor fired the same timer at the same moment and said the same thing.
      expect(this.said.slice(saidBefore).map((s) => s.key)).toEqual(this.step.prompts);
      fired.push(...this.step.prompts.map((key) => `${key}@${timer.due}`));
      this.expectInStep();
    }
    this.clock.set(until);
    this.expectInStep();
    return fired;
  }

  advance(ms: number): string[] {
    return this.advanceTo(this.now + ms);
  }
}

describe('the hold check on a simulated clock', () => {
  it('SimulatedClock is exported by xstate v5 and drives the actor', () => {
    const clock = new SimulatedClock();
    expect(typeof clock.increment).toBe('function');
    expect(clock.now()).toBe(0);
  });

  it('call.hold: runtime arms hold.check with delayMs = holdCheckSeconds * 1000, the actor the same', () => {
    const twin = new Twin();
    twin.advance(5_000);
    const step = twin.send({ type: 'call.hold' });
    expect(step.prompts).toEqual(['hold.start']);
    expect(step.timers).toEqual([
      { op: 'arm', id: HOLD_TIMER_EVENT.type, name: 'hold.check', event: HOLD_TIMER_EVENT, delayMs: 30_000 },
    ]);
    expect(twin.clock.dueTimes()).toEqual([35_000]);
  });

  it('is due at exactly holdCheckSeconds, not 1 ms before; fires hold.check and re-arms from then', () => {
    const twin = new Twin();
    twin.advance(1_000);
    twin.send({ type: 'call.hold' });
    expect(twin.advanceTo(30_999)).toEqual([]);
    expect(twin.said.map((s) => s.key)).toEqual(['greeting', 'hold.start']);

    expect(twin.advanceTo(31_000)).toEqual(['hold.check@31000']);
    expect(twin.said.at(-1)).toEqual({ key: 'hold.check', at: 31_000 });
    expect(stateOf(twin.actor.getSnapshot())).toBe('hold');
    expect(twin.step.timers).toEqual([
      { op: 'cancel', id: HOLD_TIMER_EVENT.type },
      { op: 'arm', id: HOLD_TIMER_EVENT.type, name: 'hold.check', event: HOLD_TIMER_EVENT, delayMs: 30_000 },
    ]);
    expect(twin.clock.dueTimes()).toEqual([61_000]);

    expect(twin.advanceTo(60_999)).toEqual([]);
    expect(twin.advanceTo(61_000)).toEqual(['hold.check@61000']);
    expect(twin.advance(90_000)).toEqual(['hold.check@91000', 'hold.check@121000', 'hold.check@151000']);
    expect(stateOf(twin.actor.getSnapshot())).toBe('hold');
  });

  it('customer.speech says hold.check and re-arms the check from that moment', () => {
    const twin = new Twin();
    twin.send({ type: 'call.hold' });
    twin.advanceTo(20_000);
    const step = twin.send({ type: 'customer.speech' });
    expect(step.prompts).toEqual(['hold.check']);
    expect(step.timers).toEqual([
      { op: 'cancel', id: HOLD_TIMER_EVENT.type },
      { op: 'arm', id: HOLD_TIMER_EVENT.type, name: 'hold.check', event: HOLD_TIMER_EVENT, delayMs: 30_000 },
    ]);
    expect(twin.clock.dueTimes()).toEqual([50_000]);
    // The check first armed for 30 s is gone: nothing at 30 s, nothing 1 ms before the new one.
    expect(twin.advanceTo(49_999)).toEqual([]);
    expect(twin.advanceTo(50_000)).toEqual(['hold.check@50000']);
    expect(twin.said.filter((s) => s.key === 'hold.check')).toEqual([
      { key: 'hold.check', at: 20_000 },
      { key: 'hold.check', at: 50_000 },
    ]);
  });

  it('call.unhold says hold.return and cancels the check: no pending timeout, nothing fires later', () => {
    const twin = new Twin();
    twin.send({ type: 'answer.given' });
    twin.send({ type: 'call.hold' });
    twin.advanceTo(45_000);
    const step = twin.send({ type: 'call.unhold' });
    expect(step.prompts).toEqual(['hold.return']);
    expect(step.timers).toEqual([{ op: 'cancel', id: HOLD_TIMER_EVENT.type }]);
    expect(twin.clock.pending.size).toBe(0);
    const saidBefore = twin.said.length;
    expect(twin.advance(120_000)).toEqual([]);
    expect(twin.said.length).toBe(saidBefore);
    expect(twin.actor.getSnapshot().matches({ conversation: { answer: 'given' } })).toBe(true);
  });

  it('call.hangup on hold cancels the check and ends the call', () => {
    const twin = new Twin();
    twin.send({ type: 'call.hold' });
    twin.advanceTo(10_000);
    const step = twin.send({ type: 'call.hangup', by: 'operator' });
    expect(step.timers).toEqual([{ op: 'cancel', id: HOLD_TIMER_EVENT.type }]);
    expect(twin.clock.pending.size).toBe(0);
    expect(twin.actor.getSnapshot().status).toBe('done');
    expect(twin.actor.getSnapshot().context.endReason).toBe('hangup');
    expect(twin.advance(120_000)).toEqual([]);
  });

  it('customer.identified on hold neither cancels nor re-arms the check', () => {
    const twin = new Twin();
    twin.send({ type: 'call.hold' });
    twin.advanceTo(29_000);
    expect(twin.send(IVAN_EVENT).timers).toEqual([]);
    expect(twin.clock.dueTimes()).toEqual([30_000]);
    expect(twin.advanceTo(30_000)).toEqual(['hold.check@30000']);
  });

  it('a second hold after unhold arms a fresh check from the new hold', () => {
    const twin = new Twin();
    twin.send({ type: 'call.hold' });
    twin.advanceTo(25_000);
    twin.send({ type: 'call.unhold' });
    twin.advanceTo(40_000);
    twin.send({ type: 'call.hold' });
    expect(twin.clock.dueTimes()).toEqual([70_000]);
    expect(twin.advanceTo(69_999)).toEqual([]);
    expect(twin.advanceTo(70_000)).toEqual(['hold.check@70000']);
  });

  it('holdCheckSeconds is configuration: 0.2 s fires at 200 ms, not at 199', () => {
    const twin = new Twin({ ...DEFAULT_LIMITS, holdCheckSeconds: 0.2 });
    const step = twin.send({ type: 'call.hold' });
    expect(step.timers).toEqual([expect.objectContaining({ op: 'arm', name: 'hold.check', delayMs: 200 })]);
    expect(twin.advanceTo(199)).toEqual([]);
    expect(twin.advanceTo(200)).toEqual(['hold.check@200']);
    expect(twin.advanceTo(400)).toEqual(['hold.check@400']);
  });

  it('no timer is armed outside hold', () => {
    const twin = new Twin();
    for (const event of [
      { type: 'answer.given' },
      { type: 'customer.repeat-request' },
      { type: 'customer.non-citizen' },
      { type: 'customer.cannot-hear' },
      { type: 'connection.restored' },
      { type: 'customer.profanity' },
    ] as CallEvent[]) {
      expect(twin.send(event).timers).toEqual([]);
    }
    expect(twin.clock.pending.size).toBe(0);
  });
});
