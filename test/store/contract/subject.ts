/** What every concern of the contract gets: the store under test, and helpers built on it. */
import { expect } from 'vitest';
import type { CallRecord, CallStore, Change } from '../../../src/store/types.js';
import { callRecord, create, event } from './changes.js';

export interface StoreUnderTest {
  /** The store of the current test, emptied before it. */
  readonly store: CallStore;
  /** Another store on the same database, for the caller to close. */
  another(): Promise<CallStore>;
}

/** commitOne and callAt, on the store of the current test. */
export function storeHelpers(current: () => CallStore) {
  async function commitOne(change: Change) {
    const [outcome] = await current().commit([change]);
    return outcome;
  }

  /** Creates a call and applies `events` plain events; returns the call as stored. */
  async function callAt(callId: string, events = 0): Promise<CallRecord> {
    expect(await commitOne(create(callId))).toBe('ok');
    let call = callRecord(callId);
    for (let i = 0; i < events; i++) {
      const change = event(call);
      expect(await commitOne(change)).toBe('ok');
      call = change.call;
    }
    return call;
  }

  return { commitOne, callAt };
}
