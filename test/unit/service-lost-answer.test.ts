/**
 * A commit can be written and still fail for the service (the SQLite writer thread dies after
 * COMMIT, a PostgreSQL connection drops before the answer). The service must then stop trusting
 * its cached call: reads show what was stored, and a timer that commit armed fires.
 */
import { afterAll, expect, it } from 'vitest';
import { createCallRuntime } from '../../machines/call.runtime.js';
import { CallService } from '../../src/calls/service.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import type { CallStore } from '../../src/store/types.js';

const real = await openSqliteStore(':memory:');
afterAll(() => real.close());

let loseNextAnswer = false;
const store: CallStore = Object.assign(Object.create(real) as CallStore, {
  async commit(changes: Parameters<CallStore['commit']>[0]) {
    const outcomes = await real.commit(changes);
    if (loseNextAnswer) {
      loseNextAnswer = false;
      throw new Error('SQLite writer thread exited (code 1)');
    }
    return outcomes;
  },
});

it('drops the cached call when a commit fails, so reads and timers see what was stored', async () => {
  let clock = 1_000_000;
  const service = new CallService(store, createCallRuntime(), { cacheSize: 100, now: () => clock });
  await service.create({ callId: 'c1', customer: { firstName: 'Иван', patronymic: 'Петрович' } });

  loseNextAnswer = true;
  await expect(service.applyEvent('c1', { type: 'call.hold', id: 'h1' })).rejects.toThrow(/exited/);
  expect((await real.getCall('c1'))?.version).toBe(1); // it was written
  expect((await service.getView('c1')).version).toBe(1);

  clock += 60_000; // past the hold check
  const due = await real.claimDueTimers(clock, 10, 30_000);
  expect(due.map((t) => t.callId)).toEqual(['c1']);
  expect(await Promise.all(due.map((t) => service.fireTimer(t)))).toEqual([true]);
  expect((await real.history('c1')).map((h) => h.type)).toEqual(['call.hold', 'hold.check']);

  // The client's retry with the same id is a replay of what was stored.
  const retry = await service.applyEvent('c1', { type: 'call.hold', id: 'h1' });
  expect(retry.replayed).toBe(true);
  expect(retry.view.version).toBe(1);
});
