/** The CallStore contract: listing and counting calls. */
import { beforeEach, describe, expect, it } from 'vitest';
import type { CallRecord, CallStore } from '../../../src/store/types.js';
import { event } from './changes.js';
import { type StoreUnderTest, storeHelpers } from './subject.js';

export function listContract(subject: StoreUnderTest): void {
  let store: CallStore;
  beforeEach(() => {
    store = subject.store;
  });
  const { commitOne, callAt } = storeHelpers(() => store);

  describe('list and count', () => {
    it('lists calls in id order, filtered by status, page by page with a cursor', async () => {
      for (const id of ['m', 'c', 'x', 'a', 'q', 'f', 'z']) {
        const call = await callAt(id);
        if (['c', 'q', 'z'].includes(id)) expect(await commitOne(event(call, { status: 'ended' }))).toBe('ok');
      }
      const ids = (calls: CallRecord[]) => calls.map((c) => c.callId);
      expect(ids(await store.listCalls({ limit: 100 }))).toEqual(['a', 'c', 'f', 'm', 'q', 'x', 'z']);
      expect(ids(await store.listCalls({ limit: 3 }))).toEqual(['a', 'c', 'f']);
      expect(ids(await store.listCalls({ limit: 3, cursor: 'f' }))).toEqual(['m', 'q', 'x']);
      expect(ids(await store.listCalls({ limit: 3, cursor: 'x' }))).toEqual(['z']);
      expect(ids(await store.listCalls({ limit: 3, cursor: 'z' }))).toEqual([]);
      expect(ids(await store.listCalls({ status: 'active', limit: 2 }))).toEqual(['a', 'f']);
      expect(ids(await store.listCalls({ status: 'active', limit: 2, cursor: 'f' }))).toEqual(['m', 'x']);
      expect(ids(await store.listCalls({ status: 'ended', limit: 10, cursor: 'c' }))).toEqual(['q', 'z']);
      expect(await store.countCalls('active')).toBe(4);
      expect(await store.countCalls('ended')).toBe(3);
    });

    it('orders call ids bytewise (digits, upper case, lower case)', async () => {
      for (const id of ['b', 'B', '1732540000.42', '_x', 'a-1', 'a.1', 'a:1']) await callAt(id);
      const listed = (await store.listCalls({ limit: 100 })).map((c) => c.callId);
      expect(listed).toEqual([...listed].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)));
      expect(listed).toEqual(['1732540000.42', 'B', '_x', 'a-1', 'a.1', 'a:1', 'b']);
    });

    it('counts zero on an empty store', async () => {
      expect(await store.countCalls('active')).toBe(0);
      expect(await store.countCalls('ended')).toBe(0);
    });
  });
}
