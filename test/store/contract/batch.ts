/** The CallStore contract: a batch commits change by change, whatever text it carries. */
import { beforeEach, describe, expect, it } from 'vitest';
import type { CallStore, Change } from '../../../src/store/types.js';
import { create, event, T0 } from './changes.js';
import { type StoreUnderTest, storeHelpers } from './subject.js';

export function batchContract(subject: StoreUnderTest): void {
  let store: CallStore;
  beforeEach(() => {
    store = subject.store;
  });
  const { commitOne, callAt } = storeHelpers(() => store);

  describe('a batch', () => {
    it('commits each change on its own: a conflicting change rolls back alone', async () => {
      const b = await callAt('b');
      const c = await callAt('c');
      const d = await callAt('d');
      const e = await callAt('e', 1); // holds event id 'e1'
      const f = await callAt('f');
      const armed = event(f, { arm: [{ timerId: 't', dueAt: T0 }] });
      expect(await commitOne(armed)).toBe('ok');
      const fired = event(armed.call, { fired: { timerId: 't', dueAt: T0 }, eventId: null });
      expect(await commitOne(fired)).toBe('ok');

      const batch: Change[] = [
        create('a'), // ok
        event(b, { expectedVersion: 7 }), // stale version
        event(c, { arm: [{ timerId: 't', dueAt: T0 + 5 }] }), // ok
        create('d'), // exists
        event(e, { eventId: 'e1' }), // event id taken
        event(fired.call, { fired: { timerId: 't', dueAt: T0 }, eventId: null }), // timer row gone
        event(d, { eventId: 'x' }), // ok
      ];
      expect(await store.commit(batch)).toEqual(['ok', 'conflict', 'ok', 'conflict', 'conflict', 'conflict', 'ok']);

      expect((await store.getCall('a'))?.version).toBe(0);
      expect((await store.getCall('b'))?.version).toBe(0);
      expect(await store.history('b')).toEqual([]);
      expect((await store.getCall('c'))?.version).toBe(1);
      expect((await store.getCall('d'))?.version).toBe(1);
      expect((await store.getCall('d'))?.createFingerprint).toBe('{"callId":"d"}');
      expect((await store.getCall('e'))?.version).toBe(1);
      expect((await store.history('e')).length).toBe(1);
      expect((await store.getCall('f'))?.version).toBe(2);
      expect((await store.history('f')).length).toBe(2);
      expect((await store.claimDueTimers(T0 + 10, 10, 1000)).map((t) => t.callId)).toEqual(['c']);
    });

    it('stores any text a JSON body can carry, and a change it cannot hold fails alone', async () => {
      const odd = 'a\u0000b\ud800c'; // a NUL and a lone surrogate: valid JSON, not valid PostgreSQL text
      const c1 = await callAt('c1');
      const c2 = await callAt('c2');
      const c3 = await callAt('c3');
      const named = event(c1, { eventId: 'plain' });
      named.call.snapshot = { context: { customer: { firstName: odd } } };
      named.history.snapshot = named.call.snapshot;
      named.history.data = { firstName: odd };
      // (A NUL only: SQLite turns a lone surrogate in an event id into U+FFFD.)
      const oddId = event(c2, { eventId: 'id-a\u0000b' });
      const plain = event(c3);
      const [a, b, c] = await store.commit([named, oddId, plain]);
      expect([a, c]).toEqual(['ok', 'ok']);
      expect(await store.getCall('c1')).toEqual(named.call);
      expect((await store.history('c1'))[0]?.data).toEqual({ firstName: odd });
      expect((await store.getCall('c3'))?.version).toBe(1);
      // SQLite keeps any event id; PostgreSQL text cannot hold this one: then nothing of it stays.
      if (b === 'ok') {
        expect(await store.findEvent('c2', 'id-a\u0000b')).toEqual(oddId.history);
      } else {
        expect(b).toBe('conflict');
        expect(await store.getCall('c2')).toEqual(c2);
        expect(await store.history('c2')).toEqual([]);
      }
    });

    it('answers an empty batch with no outcomes', async () => {
      expect(await store.commit([])).toEqual([]);
    });
  });
}
