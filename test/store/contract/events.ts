/** The CallStore contract: an event moves call row, history and version together; idempotency keys; history reads. */
import { beforeEach, describe, expect, it } from 'vitest';
import type { CallStore } from '../../../src/store/types.js';
import { callRecord, event, T0 } from './changes.js';
import { type StoreUnderTest, storeHelpers } from './subject.js';

export function eventsContract(subject: StoreUnderTest): void {
  let store: CallStore;
  beforeEach(() => {
    store = subject.store;
  });
  const { commitOne, callAt } = storeHelpers(() => store);

  describe('events', () => {
    it('applies an event: call row, history row and version move together', async () => {
      const call = await callAt('c1');
      const change = event(call, { eventId: 'ev-1' });
      expect(await commitOne(change)).toBe('ok');
      expect(await store.getCall('c1')).toEqual(change.call);
      expect(await store.history('c1')).toEqual([change.history]);
    });

    it('keeps a history entry as given, also where it differs from the call row', async () => {
      const call = await callAt('c1');
      const change = event(call, { eventId: 'own' });
      change.history = {
        ...change.history,
        snapshot: { value: 'earlier', context: {} },
        prompts: ['greeting'],
        actions: [],
        timers: [{ timerId: 'h', name: 'hold.check', dueAt: T0 }],
      };
      expect(await commitOne(change)).toBe('ok');
      expect(await store.getCall('c1')).toEqual(change.call);
      expect(await store.history('c1')).toEqual([change.history]);
    });

    it('refuses a change computed from a stale version and writes none of it', async () => {
      const call = await callAt('c1');
      const first = event(call, { eventId: 'a' });
      const stale = event(call, { eventId: 'b', arm: [{ timerId: 't', dueAt: T0 }] });
      expect(await commitOne(first)).toBe('ok');
      expect(await commitOne(stale)).toBe('conflict');
      expect(await store.getCall('c1')).toEqual(first.call);
      expect((await store.history('c1')).map((h) => h.eventId)).toEqual(['a']);
      expect(await store.findEvent('c1', 'b')).toBeNull();
      expect(await store.claimDueTimers(T0 + 1, 10, 1000)).toEqual([]);
    });

    it('refuses an event for a call that does not exist', async () => {
      expect(await commitOne(event(callRecord('ghost')))).toBe('conflict');
      expect(await store.history('ghost')).toEqual([]);
      expect(await store.getCall('ghost')).toBeNull();
    });

    it('refuses a second event with the same id on a call (idempotency key), writing nothing', async () => {
      const call = await callAt('c1');
      const first = event(call, { eventId: 'same' });
      expect(await commitOne(first)).toBe('ok');
      // Computed from the current version, so only the event id can make it conflict.
      const again = event(first.call, { eventId: 'same', arm: [{ timerId: 't', dueAt: T0 }] });
      expect(await commitOne(again)).toBe('conflict');
      expect(await store.getCall('c1')).toEqual(first.call);
      expect(await store.history('c1')).toEqual([first.history]);
      expect(await store.claimDueTimers(T0 + 10, 10, 1000)).toEqual([]);
      // The key is per call: another call may use it.
      const other = await callAt('c2');
      expect(await commitOne(event(other, { eventId: 'same' }))).toBe('ok');
      // Events without an id never collide.
      const a = event(first.call, { eventId: null });
      expect(await commitOne(a)).toBe('ok');
      expect(await commitOne(event(a.call, { eventId: null }))).toBe('ok');
      expect((await store.getCall('c1'))?.version).toBe(3);
    });

    it('keeps history in order and reads it after a given seq', async () => {
      const call = await callAt('c1', 5);
      expect(call.version).toBe(5);
      const all = await store.history('c1');
      expect(all.map((h) => h.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(all[2]).toMatchObject({ seq: 3, eventId: 'e3', data: { topic: 'тема 3', n: 3 }, source: 'api' });
      expect((await store.history('c1', 3)).map((h) => h.seq)).toEqual([4, 5]);
      expect(await store.history('c1', 5)).toEqual([]);
      expect((await store.history('c1', 0)).length).toBe(5);
    });

    it('finds an applied event by its id, on its own call only', async () => {
      const call = await callAt('c1', 2);
      await callAt('c2');
      const found = await store.findEvent('c1', 'e2');
      expect(found).toEqual(event(callRecord('c1', { version: 1, updatedAt: T0 + 1 })).history);
      expect(found?.fingerprint).toBe('{"type":"customer.speech"}');
      expect(await store.findEvent('c1', 'e9')).toBeNull();
      expect(await store.findEvent('c2', 'e2')).toBeNull();
      expect(call.version).toBe(2);
    });

    it('lists the event ids used on a call, in order, on that call only', async () => {
      await callAt('c1', 3);
      await callAt('c2');
      expect(await store.eventIds('c1')).toEqual(['e1', 'e2', 'e3']);
      expect(await store.eventIds('c2')).toEqual([]);
      expect(await store.eventIds('nope')).toEqual([]);
    });
  });
}
