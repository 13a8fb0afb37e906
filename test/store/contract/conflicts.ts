/** The CallStore contract: a refused change leaves no trace; racing changes, one winner. */
import { beforeEach, describe, expect, it } from 'vitest';
import type { CallStore } from '../../../src/store/types.js';
import { event, T0 } from './changes.js';
import { type StoreUnderTest, storeHelpers } from './subject.js';

export function conflictsContract(subject: StoreUnderTest): void {
  let store: CallStore;
  beforeEach(() => {
    store = subject.store;
  });
  const { commitOne, callAt } = storeHelpers(() => store);

  describe('after a conflict', () => {
    it('leaves no trace of the conflicting change: no call update, history, timer arm or cancel', async () => {
      const call = await callAt('c1');
      const arm = event(call, { arm: [{ timerId: 'keep', dueAt: T0 + 1000 }] });
      expect(await commitOne(arm)).toBe('ok');
      const before = {
        call: await store.getCall('c1'),
        history: await store.history('c1'),
        next: await store.nextTimerDue(),
      };
      // Everything a change can write, refused at its last step (the taken event id).
      const doomed = event(arm.call, {
        eventId: 'e1',
        cancel: ['keep'],
        arm: [{ timerId: 'new', dueAt: T0 + 10 }],
        status: 'ended',
      });
      expect(await commitOne(doomed)).toBe('conflict');
      expect(await store.getCall('c1')).toEqual(before.call);
      expect(await store.history('c1')).toEqual(before.history);
      expect(await store.nextTimerDue()).toBe(before.next);
      expect((await store.claimDueTimers(T0 + 5000, 10, 1000)).map((t) => t.timerId)).toEqual(['keep']);
      expect(await store.countCalls('ended')).toBe(0);
    });
  });

  describe('concurrent commits', () => {
    it('lets exactly one of two racing changes from the same version win', async () => {
      const call = await callAt('c1');
      const results = await Promise.all([
        store.commit([event(call, { eventId: 'x' })]),
        store.commit([event(call, { eventId: 'y' })]),
      ]);
      expect(results.flat().sort()).toEqual(['conflict', 'ok']);
      expect((await store.history('c1')).length).toBe(1);
    });
  });
}
