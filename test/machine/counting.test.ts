/**
 * SPEC §2 "Counting, exactly": the boundaries of the repeat, connection and profanity rules,
 * what resets them and what does not, and that the limits are configuration.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../machines/call.machine.js';
import { CallDriver, conversation, HOLD_TIMER_EVENT } from './helpers.js';

const REPEAT = { type: 'customer.repeat-request' } as const;
const CANNOT_HEAR = { type: 'customer.cannot-hear' } as const;
const INAUDIBLE = { type: 'customer.inaudible' } as const;
const PROFANITY = { type: 'customer.profanity' } as const;

describe('repeats count per answer', () => {
  it('the script defaults are 3 repeats, 3 connection attempts, a 30 s hold check', () => {
    expect(DEFAULT_LIMITS).toEqual({ maxRepeats: 3, maxConnectionAttempts: 3, holdCheckSeconds: 30 });
  });

  it('the 1st to 3rd repeat get repeat.answer; the 4th gets repeat.limit and ends the call (repeats 4)', () => {
    const call = new CallDriver();
    call.send({ type: 'answer.given' });
    for (const n of [1, 2, 3]) {
      expect(call.send(REPEAT).prompts, `repeat #${n}`).toEqual(['repeat.answer']);
      expect(call.counters.repeats).toBe(n);
      expect(call.snapshot.status).toBe('active');
      expect(call.context.endReason).toBeNull();
    }
    expect(call.send(REPEAT).prompts).toEqual(['repeat.limit']);
    expect(call.state).toBe('ended');
    expect(call.context.endReason).toBe('repeat-limit');
    expect(call.counters).toEqual({ repeats: 4, connectionAttempts: 0, warnings: 0 });
    expect(call.runtime.allows(call.snapshot, REPEAT)).toBe(false);
    expect(call.runtime.allowedEvents(call.snapshot)).toEqual([]);
  });

  it('a repeat request before any answer is not allowed now, and applying nothing changes nothing', () => {
    const call = new CallDriver();
    expect(call.runtime.allows(call.snapshot, REPEAT)).toBe(false);
    expect(call.runtime.allowedEvents(call.snapshot)).not.toContain('customer.repeat-request');
    // Still not after other situations, a hold or an accepted offer: only answer.given opens it.
    call.sendAll({ type: 'customer.prank' }, { type: 'call.hold' }, { type: 'call.unhold' });
    call.sendAll({ type: 'customer.non-citizen' }, { type: 'offer.accepted' });
    expect(call.runtime.allows(call.snapshot, REPEAT)).toBe(false);
    expect(call.runtime.allowedEvents(call.snapshot)).not.toContain('customer.repeat-request');
    // The machine ignores it if it is applied anyway (the API answers 409 before that).
    const before = call.runtime.persist(call.snapshot);
    const step = call.runtime.apply(call.snapshot, REPEAT);
    expect(step.prompts).toEqual([]);
    expect(call.runtime.persist(step.snapshot)).toEqual(before);
    call.send({ type: 'answer.given' });
    expect(call.runtime.allowedEvents(call.snapshot)).toContain('customer.repeat-request');
  });

  it('answer.given resets the count to 0, so three more repeats are answered', () => {
    const call = new CallDriver();
    call.sendAll({ type: 'answer.given' }, REPEAT, REPEAT, REPEAT);
    expect(call.counters.repeats).toBe(3);
    expect(call.send({ type: 'answer.given' }).prompts).toEqual([]);
    expect(call.counters.repeats).toBe(0);
    expect(call.state).toEqual(conversation('talking', 'given', 'polite'));
    for (const n of [1, 2, 3])
      expect(call.send(REPEAT).prompts, `repeat #${n} after the new answer`).toEqual(['repeat.answer']);
    expect(call.send(REPEAT).prompts).toEqual(['repeat.limit']);
    expect(call.counters.repeats).toBe(4);
  });

  it('the count survives a hold (with a hold check) and an interjection', () => {
    const call = new CallDriver();
    call.sendAll({ type: 'answer.given' }, REPEAT, REPEAT);
    call.sendAll({ type: 'call.hold' }, HOLD_TIMER_EVENT, { type: 'customer.speech' }, { type: 'call.unhold' });
    expect(call.counters.repeats).toBe(2);
    call.sendAll({ type: 'customer.location-question' }, { type: 'customer.no-card' });
    expect(call.counters.repeats).toBe(2);
    call.sendAll(CANNOT_HEAR, { type: 'connection.restored' });
    expect(call.counters.repeats).toBe(2);
    expect(call.send(REPEAT).prompts).toEqual(['repeat.answer']);
    expect(call.counters.repeats).toBe(3);
    expect(call.send(REPEAT).prompts).toEqual(['repeat.limit']);
    expect(call.context.endReason).toBe('repeat-limit');
  });

  it('the count survives persist -> JSON -> restore', () => {
    const call = new CallDriver();
    call.sendAll({ type: 'answer.given' }, REPEAT, REPEAT, REPEAT);
    call.roundTrip();
    expect(call.counters.repeats).toBe(3);
    expect(call.send(REPEAT).prompts).toEqual(['repeat.limit']);
  });
});

describe('connection attempts count per episode', () => {
  it('3rd attempt (cannot-hear and inaudible mixed) still gets its prompt; the 4th ends the call', () => {
    const call = new CallDriver();
    expect(call.send(CANNOT_HEAR).prompts).toEqual(['connection.cannot-hear']);
    expect(call.send(INAUDIBLE).prompts).toEqual(['connection.inaudible']);
    expect(call.counters.connectionAttempts).toBe(2);
    expect(call.send(CANNOT_HEAR).prompts).toEqual(['connection.cannot-hear']);
    expect(call.counters.connectionAttempts).toBe(3);
    expect(call.state).toBe('connection');
    expect(call.snapshot.status).toBe('active');

    expect(call.send(INAUDIBLE).prompts).toEqual(['connection.call-back']);
    expect(call.state).toBe('ended');
    expect(call.context.endReason).toBe('connection-lost');
    expect(call.counters).toEqual({ repeats: 0, connectionAttempts: 4, warnings: 0 });
  });

  it('the 4th attempt ends the call whichever kind it is', () => {
    const call = new CallDriver();
    call.sendAll(INAUDIBLE, INAUDIBLE, CANNOT_HEAR);
    expect(call.send(CANNOT_HEAR).prompts).toEqual(['connection.call-back']);
    expect(call.context.endReason).toBe('connection-lost');
    expect(call.counters.connectionAttempts).toBe(4);
  });

  it('connection.restored ends the episode: count back to 0, a new episode has 3 attempts again', () => {
    const call = new CallDriver();
    call.sendAll(CANNOT_HEAR, INAUDIBLE, CANNOT_HEAR);
    expect(call.send({ type: 'connection.restored' }).prompts).toEqual([]);
    expect(call.counters.connectionAttempts).toBe(0);
    expect(call.state).toEqual(conversation('greeting', 'awaiting', 'polite'));
    call.sendAll(INAUDIBLE, CANNOT_HEAR, INAUDIBLE);
    expect(call.counters.connectionAttempts).toBe(3);
    expect(call.snapshot.status).toBe('active');
    expect(call.send(CANNOT_HEAR).prompts).toEqual(['connection.call-back']);
  });

  it('in an episode only the connection events (and the frame) are allowed', () => {
    const call = new CallDriver();
    call.sendAll({ type: 'answer.given' }, CANNOT_HEAR);
    expect([...call.runtime.allowedEvents(call.snapshot)].sort()).toEqual(
      [
        'call.hangup',
        'connection.restored',
        'customer.cannot-hear',
        'customer.identified',
        'customer.inaudible',
      ].sort(),
    );
    expect(call.runtime.allows(call.snapshot, REPEAT)).toBe(false);
    expect(call.runtime.allows(call.snapshot, { type: 'call.hold' })).toBe(false);
  });

  it('the count survives persist -> JSON -> restore within an episode', () => {
    const call = new CallDriver();
    call.sendAll(CANNOT_HEAR, INAUDIBLE, CANNOT_HEAR);
    call.roundTrip();
    expect(call.counters.connectionAttempts).toBe(3);
    expect(call.send(INAUDIBLE).prompts).toEqual(['connection.call-back']);
  });
});

describe('profanity counts per call', () => {
  it('the 1st gets the warning, the 2nd the termination: warnings stays 1, endReason profanity', () => {
    const call = new CallDriver();
    expect(call.send(PROFANITY).prompts).toEqual(['profanity.warning']);
    expect(call.counters.warnings).toBe(1);
    expect(call.snapshot.status).toBe('active');
    expect(call.send(PROFANITY).prompts).toEqual(['profanity.termination']);
    expect(call.counters).toEqual({ repeats: 0, connectionAttempts: 0, warnings: 1 });
    expect(call.context.endReason).toBe('profanity');
    expect(call.state).toBe('ended');
  });

  it('the warning is per call: it survives a hold, an episode, a new answer and a round trip', () => {
    const call = new CallDriver();
    call.send(PROFANITY);
    call.sendAll({ type: 'call.hold' }, { type: 'call.unhold' }, INAUDIBLE, { type: 'connection.restored' });
    call.sendAll({ type: 'answer.given' }, { type: 'customer.prank' });
    call.roundTrip();
    expect(call.counters.warnings).toBe(1);
    expect(call.send(PROFANITY).prompts).toEqual(['profanity.termination']);
    expect(call.context.endReason).toBe('profanity');
  });
});

describe('the limits are configuration', () => {
  it('maxRepeats 1: the 1st repeat is answered, the 2nd ends the call', () => {
    const call = CallDriver.with({ maxRepeats: 1 });
    call.send({ type: 'answer.given' });
    expect(call.send(REPEAT).prompts).toEqual(['repeat.answer']);
    expect(call.send(REPEAT).prompts).toEqual(['repeat.limit']);
    expect(call.context.endReason).toBe('repeat-limit');
    expect(call.counters.repeats).toBe(2);
  });

  it('maxRepeats 5: the 4th repeat is still answered, the 6th ends the call', () => {
    const call = CallDriver.with({ maxRepeats: 5 });
    call.send({ type: 'answer.given' });
    for (let n = 1; n <= 5; n++) expect(call.send(REPEAT).prompts, `repeat #${n}`).toEqual(['repeat.answer']);
    expect(call.send(REPEAT).prompts).toEqual(['repeat.limit']);
    expect(call.counters.repeats).toBe(6);
  });

  it('maxConnectionAttempts 1: the 2nd attempt ends the call; 2: the 3rd does', () => {
    const one = CallDriver.with({ maxConnectionAttempts: 1 });
    expect(one.send(INAUDIBLE).prompts).toEqual(['connection.inaudible']);
    expect(one.send(CANNOT_HEAR).prompts).toEqual(['connection.call-back']);
    expect(one.context.endReason).toBe('connection-lost');
    expect(one.counters.connectionAttempts).toBe(2);

    const two = CallDriver.with({ maxConnectionAttempts: 2 });
    two.sendAll(INAUDIBLE, CANNOT_HEAR);
    expect(two.snapshot.status).toBe('active');
    expect(two.send(CANNOT_HEAR).prompts).toEqual(['connection.call-back']);
    expect(two.counters.connectionAttempts).toBe(3);
  });

  it('holdCheckSeconds sets the delay of the armed hold check (fractions allowed)', () => {
    const call = CallDriver.with({ holdCheckSeconds: 0.2 });
    const step = call.send({ type: 'call.hold' });
    expect(step.timers).toEqual([expect.objectContaining({ op: 'arm', name: 'hold.check', delayMs: 200 })]);
  });

  it('limits of one runtime do not leak into another', () => {
    const strict = CallDriver.with({ maxRepeats: 1 });
    const usual = new CallDriver();
    for (const call of [strict, usual]) call.sendAll({ type: 'answer.given' }, REPEAT);
    expect(strict.send(REPEAT).prompts).toEqual(['repeat.limit']);
    expect(usual.send(REPEAT).prompts).toEqual(['repeat.answer']);
  });
});
