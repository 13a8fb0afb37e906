/**
 * The CallStore contract (src/store/types.ts), one suite run unchanged against every backend
 * (the keyv pattern): SQLite on a file (writes on the writer thread), SQLite in memory (writes
 * in-thread) and PostgreSQL on a database of its own. Each concern is a module of
 * test/store/contract/, a function of the store under test. What only a shared store can do
 * (several processes on one database) runs once, against PostgreSQL.
 */
import { afterAll, beforeEach, describe } from 'vitest';
import type { CallStore } from '../../src/store/types.js';
import { type Backend, postgresBackend, sqliteBackend, sqliteMemoryBackend } from './contract/backends.js';
import { batchContract } from './contract/batch.js';
import { conflictsContract } from './contract/conflicts.js';
import { createContract } from './contract/create.js';
import { eventsContract } from './contract/events.js';
import { lifecycleContract } from './contract/lifecycle.js';
import { listContract } from './contract/list.js';
import { sharedPostgresContract } from './contract/shared.js';
import type { StoreUnderTest } from './contract/subject.js';
import { timersContract } from './contract/timers.js';

const CONCERNS: ((subject: StoreUnderTest) => void)[] = [
  createContract,
  eventsContract,
  batchContract,
  listContract,
  timersContract,
  conflictsContract,
  lifecycleContract,
];

describe.each<{ name: string; make: () => Backend }>([
  { name: 'sqlite', make: sqliteBackend },
  { name: 'sqlite in memory', make: sqliteMemoryBackend },
  { name: 'postgres', make: postgresBackend },
])('CallStore contract: $name', ({ make }) => {
  const backend = make();
  let current: CallStore | null = null;
  const subject: StoreUnderTest = {
    get store() {
      if (!current) throw new Error('no store: the backend did not open one');
      return current;
    },
    another: () => backend.another(),
  };
  // Registered before the concerns' own hooks, so each test gets an emptied store first.
  beforeEach(async () => {
    current = await backend.fresh();
  });
  afterAll(async () => {
    await backend.cleanup();
  });
  for (const concern of CONCERNS) concern(subject);
});

sharedPostgresContract();
