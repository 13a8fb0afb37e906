/** The CallStore contract: ping and close. */
import { beforeEach, expect, it } from 'vitest';
import type { CallStore } from '../../../src/store/types.js';
import type { StoreUnderTest } from './subject.js';

export function lifecycleContract(subject: StoreUnderTest): void {
  let store: CallStore;
  beforeEach(() => {
    store = subject.store;
  });

  it('answers ping, and closes more than once', async () => {
    await store.ping();
    const extra = await subject.another();
    await extra.ping();
    await extra.close();
    await extra.close();
    await expect(extra.ping()).rejects.toThrow();
  });
}
