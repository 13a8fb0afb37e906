/** What a step writes (src/calls/change.ts), computed without a store. */
import { describe, expect, it } from 'vitest';
import { toMachineEvent } from '../../machines/call.events.js';
import { createCallRuntime } from '../../machines/call.runtime.js';
import { eventChange, newCallRecord } from '../../src/calls/change.js';

const runtime = createCallRuntime({ maxRepeats: 3, maxConnectionAttempts: 3, holdCheckSeconds: 1.0005 });
const T = 1_767_000_000_000;

function started() {
  const step = runtime.start({ customer: null });
  return newCallRecord(
    { callId: 'c1', locale: 'ru', operatorId: 'op', scriptVersion: 2, createFingerprint: '{}' },
    step,
    runtime,
    T,
  );
}

const applied = (type: string) => ({ eventId: `e-${type}`, fingerprint: null, type, data: {}, source: 'api' as const });

describe('newCallRecord', () => {
  it('starts at version 0 with the greeting, its operator and script version, and no timers', () => {
    const record = started();
    expect(record).toMatchObject({
      callId: 'c1',
      status: 'active',
      version: 0,
      prompts: ['greeting'],
      timers: [],
      operatorId: 'op',
      scriptVersion: 2,
      createdAt: T,
      updatedAt: T,
    });
  });
});

describe('eventChange', () => {
  it('moves the version by one, writes the history row of that version, and arms the hold check in whole ms', () => {
    const record = started();
    const step = runtime.apply(runtime.restore(record.snapshot), toMachineEvent('call.hold'));
    const change = eventChange(record, step, applied('call.hold'), runtime, T + 10);
    expect(change.expectedVersion).toBe(0);
    expect(change.call).toMatchObject({ version: 1, status: 'active', prompts: ['hold.start'], updatedAt: T + 10 });
    expect(change.history).toMatchObject({ seq: 1, type: 'call.hold', eventId: 'e-call.hold', at: T + 10 });
    expect(change.armTimers).toHaveLength(1);
    // 1.0005 s arms at a whole millisecond: due times are stored as integers.
    expect(change.armTimers[0]?.dueAt).toBe(T + 10 + 1001);
    expect(change.call.timers).toEqual([
      { timerId: change.armTimers[0]?.timerId, name: 'hold.check', dueAt: T + 1011 },
    ]);
    expect(change.cancelTimers).toEqual([]);
  });

  it('cancels the pending check on unhold and ends the call on hangup', () => {
    let record = started();
    let snapshot = runtime.restore(record.snapshot);
    const hold = runtime.apply(snapshot, toMachineEvent('call.hold'));
    const held = eventChange(record, hold, applied('call.hold'), runtime, T + 1);
    record = held.call;
    snapshot = hold.snapshot;
    const unhold = runtime.apply(snapshot, toMachineEvent('call.unhold'));
    const back = eventChange(record, unhold, applied('call.unhold'), runtime, T + 2);
    expect(back.cancelTimers).toEqual([held.armTimers[0]?.timerId]);
    expect(back.call.timers).toEqual([]);
    const hangup = runtime.apply(unhold.snapshot, toMachineEvent('call.hangup', { by: 'customer' }));
    const ended = eventChange(back.call, hangup, applied('call.hangup'), runtime, T + 3);
    expect(ended.call.status).toBe('ended');
    expect(ended.history.status).toBe('ended');
    expect(ended.call.version).toBe(3);
  });

  it('leaves the timers as they were for a step that touches none', () => {
    const record = started();
    const step = runtime.apply(runtime.restore(record.snapshot), toMachineEvent('customer.prank'));
    const change = eventChange(record, step, applied('customer.prank'), runtime, T + 1);
    expect(change.call.timers).toBe(record.timers);
    expect(change.armTimers).toEqual([]);
  });
});
