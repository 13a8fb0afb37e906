/** The CallStore contract: a new call, stored exactly, and only once. */
import { beforeEach, describe, expect, it } from 'vitest';
import type { CallStore } from '../../../src/store/types.js';
import { callRecord, create } from './changes.js';
import { type StoreUnderTest, storeHelpers } from './subject.js';

export function createContract(subject: StoreUnderTest): void {
  let store: CallStore;
  beforeEach(() => {
    store = subject.store;
  });
  const { commitOne } = storeHelpers(() => store);

  describe('create', () => {
    it('stores a new call and reads it back exactly', async () => {
      const record = callRecord('1732540000.42');
      expect(await commitOne({ kind: 'create', call: record })).toBe('ok');
      const stored = await store.getCall('1732540000.42');
      expect(stored).toEqual(record);
      expect(JSON.stringify(stored?.snapshot)).toBe(JSON.stringify(record.snapshot));
      expect(typeof stored?.createdAt).toBe('number');
      expect(await store.history('1732540000.42')).toEqual([]);
      expect(await store.getCall('nope')).toBeNull();
    });

    it('refuses a second create of the same call id and keeps the first', async () => {
      expect(await commitOne(create('c1', { createFingerprint: 'first' }))).toBe('ok');
      expect(await commitOne(create('c1', { createFingerprint: 'second', locale: 'en' }))).toBe('conflict');
      const stored = await store.getCall('c1');
      expect(stored?.createFingerprint).toBe('first');
      expect(stored?.locale).toBe('ru');
    });
  });
}
