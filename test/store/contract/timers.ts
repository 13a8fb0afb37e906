/** The CallStore contract: arming, claiming with a lease, firing once. */
import { beforeEach, describe, expect, it } from 'vitest';
import type { CallStore } from '../../../src/store/types.js';
import { event, T0 } from './changes.js';
import { type StoreUnderTest, storeHelpers } from './subject.js';

export function timersContract(subject: StoreUnderTest): void {
  let store: CallStore;
  beforeEach(() => {
    store = subject.store;
  });
  const { commitOne, callAt } = storeHelpers(() => store);

  describe('timers', () => {
    it('arms, re-arms (upsert on the timer id) and cancels', async () => {
      let call = await callAt('c1');
      const arm = event(call, { arm: [{ timerId: 't', dueAt: T0 + 1000 }] });
      expect(await commitOne(arm)).toBe('ok');
      call = arm.call;
      expect(call.timers).toEqual([{ timerId: 't', name: 'hold.check', dueAt: T0 + 1000 }]);
      expect(await store.nextTimerDue()).toBe(T0 + 1000);

      const rearm = event(call, { arm: [{ timerId: 't', dueAt: T0 + 5000 }] });
      expect(await commitOne(rearm)).toBe('ok');
      call = rearm.call;
      expect(await store.nextTimerDue()).toBe(T0 + 5000);
      expect(await store.claimDueTimers(T0 + 2000, 10, 1000)).toEqual([]);

      const cancel = event(call, { cancel: ['t'] });
      expect(await commitOne(cancel)).toBe('ok');
      expect(await store.nextTimerDue()).toBeNull();
      expect(await store.claimDueTimers(T0 + 10_000, 10, 1000)).toEqual([]);
      expect((await store.getCall('c1'))?.timers).toEqual([]);
    });

    it('claims only due timers, earliest first, up to the limit, with their event', async () => {
      for (const [id, due] of [
        ['c3', T0 + 3000],
        ['c1', T0 + 1000],
        ['c2', T0 + 2000],
      ] as const) {
        const call = await callAt(id);
        expect(await commitOne(event(call, { arm: [{ timerId: 'hold', dueAt: due }] }))).toBe('ok');
      }
      expect(await store.claimDueTimers(T0 + 999, 10, 10_000)).toEqual([]);
      expect(await store.claimDueTimers(T0 + 2500, 1, 10_000)).toEqual([
        {
          callId: 'c1',
          timerId: 'hold',
          name: 'hold.check',
          dueAt: T0 + 1000,
          event: { type: 'xstate.after.holdCheck.call.hold' },
          // The claim's lease end, which a handler holding the job by its lease writes by.
          lockedUntil: T0 + 2500 + 10_000,
        },
      ]);
      expect((await store.claimDueTimers(T0 + 2500, 10, 10_000)).map((t) => t.callId)).toEqual(['c2']);
      expect((await store.claimDueTimers(T0 + 3000, 10, 10_000)).map((t) => t.callId)).toEqual(['c3']);
    });

    it('does not hand a claimed timer out again until its lease runs out', async () => {
      for (const [id, due] of [
        ['c1', T0 + 1000],
        ['c2', T0 + 2000],
      ] as const) {
        const call = await callAt(id);
        expect(await commitOne(event(call, { arm: [{ timerId: 'hold', dueAt: due }] }))).toBe('ok');
      }
      // c1 claimed at +1500 with a 1000 ms lease: held until +2500.
      expect((await store.claimDueTimers(T0 + 1500, 10, 1000)).map((t) => t.callId)).toEqual(['c1']);
      expect(await store.claimDueTimers(T0 + 1600, 10, 1000)).toEqual([]);
      // The next claimable moment is c2's due time; c1 comes back at the end of its lease.
      expect(await store.nextTimerDue()).toBe(T0 + 2000);
      expect((await store.claimDueTimers(T0 + 2100, 10, 1000)).map((t) => t.callId)).toEqual(['c2']);
      expect(await store.nextTimerDue()).toBe(T0 + 2500);
      expect(await store.claimDueTimers(T0 + 2499, 10, 1000)).toEqual([]);
      expect((await store.claimDueTimers(T0 + 2500, 10, 1000)).map((t) => t.callId)).toEqual(['c1']);
      expect(await store.nextTimerDue()).toBe(T0 + 3100);
    });

    it('frees a claimed timer when it is re-armed', async () => {
      const call = await callAt('c1');
      const arm = event(call, { arm: [{ timerId: 'hold', dueAt: T0 + 1000 }] });
      expect(await commitOne(arm)).toBe('ok');
      expect((await store.claimDueTimers(T0 + 1000, 10, 60_000)).length).toBe(1);
      const rearm = event(arm.call, { arm: [{ timerId: 'hold', dueAt: T0 + 2000 }] });
      expect(await commitOne(rearm)).toBe('ok');
      expect(await store.nextTimerDue()).toBe(T0 + 2000);
      expect((await store.claimDueTimers(T0 + 2000, 10, 60_000)).map((t) => t.dueAt)).toEqual([T0 + 2000]);
    });

    it('fires a timer once: the firing deletes exactly that row, a second firing conflicts', async () => {
      const call = await callAt('c1');
      const arm = event(call, { arm: [{ timerId: 'hold', dueAt: T0 + 1000 }] });
      expect(await commitOne(arm)).toBe('ok');
      const [claimed] = await store.claimDueTimers(T0 + 1000, 10, 1000);
      expect(claimed?.dueAt).toBe(T0 + 1000);

      // The firing re-arms the same timer id, as the hold check does.
      const fire = event(arm.call, {
        eventId: null,
        fired: { timerId: 'hold', dueAt: T0 + 1000 },
        arm: [{ timerId: 'hold', dueAt: T0 + 2000 }],
      });
      // A second node computed the same firing from the same version: the version check stops
      // it; one computed later from the new version is stopped by the row (now due at +2000).
      const twin = event(arm.call, { eventId: null, fired: { timerId: 'hold', dueAt: T0 + 1000 } });
      expect(await commitOne(fire)).toBe('ok');
      expect(await commitOne(twin)).toBe('conflict');
      const late = event(fire.call, { eventId: null, fired: { timerId: 'hold', dueAt: T0 + 1000 } });
      expect(await commitOne(late)).toBe('conflict');
      expect((await store.getCall('c1'))?.version).toBe(2);
      expect((await store.history('c1')).map((h) => h.source)).toEqual(['api', 'timer']);
      expect(await store.nextTimerDue()).toBe(T0 + 2000);

      // Cancelled (unhold) before it fired: the firing finds no row.
      const cancel = event(fire.call, { cancel: ['hold'] });
      expect(await commitOne(cancel)).toBe('ok');
      const gone = event(cancel.call, { eventId: null, fired: { timerId: 'hold', dueAt: T0 + 2000 } });
      expect(await commitOne(gone)).toBe('conflict');
      expect((await store.getCall('c1'))?.version).toBe(3);
      expect(await store.history('c1', 3)).toEqual([]);
    });

    it('has no next timer on an empty store', async () => {
      expect(await store.nextTimerDue()).toBeNull();
      expect(await store.claimDueTimers(Date.now(), 10, 1000)).toEqual([]);
    });
  });
}
