/** The backends the contract runs against, each able to hand out an emptied store per test. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll } from 'vitest';
import { openPostgresStore } from '../../../src/store/postgres.js';
import { openSqliteStore } from '../../../src/store/sqlite.js';
import type { CallStore } from '../../../src/store/types.js';
import { type TestDatabase, testDatabase } from '../../support/postgres.js';

export interface Backend {
  name: string;
  /** The store, emptied: a new one (SQLite file) or the same one truncated (PostgreSQL). */
  fresh(): Promise<CallStore>;
  /** Another store on the same database, for the caller to close. */
  another(): Promise<CallStore>;
  cleanup(): Promise<void>;
}

export function sqliteBackend(): Backend {
  const dir = mkdtempSync(join(tmpdir(), 'callflow-contract-'));
  let n = 0;
  let current: CallStore | null = null;
  return {
    name: 'sqlite',
    async fresh() {
      await current?.close();
      n += 1;
      current = await openSqliteStore(join(dir, `store-${n}.db`));
      return current;
    },
    async another() {
      return await openSqliteStore(join(dir, `store-${n}.db`));
    },
    async cleanup() {
      await current?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** SQLite in memory: its writes run in-thread (sqlite-writes.ts) instead of on the writer thread. */
export function sqliteMemoryBackend(): Backend {
  let current: CallStore | null = null;
  return {
    name: 'sqlite-memory',
    async fresh() {
      await current?.close();
      current = await openSqliteStore(':memory:');
      return current;
    },
    // A second :memory: store is a database of its own; the contract only pings and closes it.
    async another() {
      return await openSqliteStore(':memory:');
    },
    async cleanup() {
      await current?.close();
    },
  };
}

export function postgresBackend(): Backend {
  let db: TestDatabase | null = null;
  let current: CallStore | null = null;
  let admin: pg.Client | null = null;
  return {
    name: 'postgres',
    // Connections cost about 25 ms each here: one store for the suite, emptied before each test.
    async fresh() {
      db ??= await testDatabase('contract');
      current ??= await openPostgresStore(db.url);
      if (!admin) {
        admin = new pg.Client({ connectionString: db.url });
        await admin.connect();
      }
      await admin.query('TRUNCATE calls, history, jobs');
      return current;
    },
    async another() {
      return openPostgresStore(db!.url);
    },
    async cleanup() {
      await current?.close();
      await admin?.end();
      await db?.drop();
    },
  };
}

export async function truncate(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('TRUNCATE calls, history, jobs');
  } finally {
    await client.end();
  }
}

/** A store a test opens and closes itself: each a new database (file, memory, PostgreSQL). */
export interface StandaloneBackend {
  name: string;
  open(): Promise<{ store: CallStore; close(): Promise<void> }>;
}

/** The three backends a capability's store test runs against; `label` names its files and databases. */
export function standaloneBackends(label: string): StandaloneBackend[] {
  const dir = mkdtempSync(join(tmpdir(), `callflow-${label}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return [
    {
      name: 'sqlite file',
      async open() {
        const store = await openSqliteStore(join(dir, `${label}-${Math.random()}.db`));
        return { store, close: () => store.close() };
      },
    },
    {
      name: 'sqlite memory',
      async open() {
        const store = await openSqliteStore(':memory:');
        return { store, close: () => store.close() };
      },
    },
    {
      name: 'postgres',
      async open() {
        const db = await testDatabase(label);
        const store = await openPostgresStore(db.url);
        return {
          store,
          async close() {
            await store.close();
            await db.drop();
          },
        };
      },
    },
  ];
}
