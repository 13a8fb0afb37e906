/**
 * What the event benchmarks run against. A target is one database plus how many service
 * nodes share it; adding a backend (PostgreSQL) or a topology (two nodes on one database) is
 * one more entry in a list below.
 */
import { join } from 'node:path';

export interface Database {
  url: string;
  cleanup(): Promise<void>;
}

export interface EventTarget {
  /** Short key, used in the JSON results. */
  name: string;
  label: string;
  /** Service processes sharing the database; the load is spread over all of them. */
  nodes: number;
  /** Environment of every node (LOG_LEVEL defaults to warn). */
  env: Record<string, string>;
  /** Extra `node` flags of every node (V8 tuning). */
  nodeArgs?: string[];
  /** Goal of its throughput ratio against the echo (default: SQLite's 0.5; null: none). */
  throughputGoal?: number | null;
  /** Only at these connection counts (default: every count of the plan). */
  connections?: number[];
  /** A fresh, empty database for this target. */
  database(dir: string): Promise<Database>;
  /** Another server than the service (bench/bound-server.ts): no /metrics, no database. */
  script?: string;
}

let files = 0;

export function sqliteFile(dir: string): Promise<Database> {
  const path = join(dir, `events-${++files}.db`);
  return Promise.resolve({ url: `sqlite:${path}`, cleanup: async () => {} });
}

/** (b) The event path against the echo ceiling: these run in every round, interleaved with the echo. */
export const EVENT_TARGETS: EventTarget[] = [
  {
    name: 'sqlite',
    label: 'events, SQLite, LOG_LEVEL=warn',
    nodes: 1,
    env: { LOG_LEVEL: 'warn' },
    database: sqliteFile,
  },
  {
    name: 'sqlite-info',
    label: 'events, SQLite, LOG_LEVEL=info',
    nodes: 1,
    env: { LOG_LEVEL: 'info' },
    database: sqliteFile,
  },
  {
    // What the event path could reach with no durability at all: an upper limit for (b).
    name: 'bound',
    label: 'upper bound of (b): statechart step and view, no store',
    nodes: 1,
    env: {},
    throughputGoal: null,
    script: 'bench/bound-server.ts',
    database: async () => ({ url: '', cleanup: async () => {} }),
  },
];

/** Tuning experiments, run beside EVENT_TARGETS with `--variants` (not settings of the service). */
export const VARIANT_TARGETS: EventTarget[] = [
  {
    // V8's default young generation instead of npm start's 32 MB (processes.ts SERVICE_NODE_FLAGS).
    name: 'sqlite-semi16',
    label: 'events, SQLite, warn, node --max-semi-space-size=16 (V8 default)',
    nodes: 1,
    env: { LOG_LEVEL: 'warn' },
    nodeArgs: ['--max-semi-space-size=16'],
    database: sqliteFile,
  },
  {
    name: 'sqlite-semi64',
    label: 'events, SQLite, warn, node --max-semi-space-size=64',
    nodes: 1,
    env: { LOG_LEVEL: 'warn' },
    nodeArgs: ['--max-semi-space-size=64'],
    database: sqliteFile,
  },
];

// ---- PostgreSQL ---------------------------------------------------------------------------

/**
 * One throwaway PostgreSQL server for the whole run (test/support/postgres.ts), durable (fsync
 * and synchronous_commit on, like production), started on first use; every target gets a fresh
 * database on it. POSTGRES_URL=postgres://... uses an existing server instead.
 */
let postgresServer: Promise<{ url: string; stop(): Promise<void> }> | null = null;

function postgresUrl(): Promise<string> {
  postgresServer ??= (async () => {
    const configured = process.env.POSTGRES_URL;
    if (configured) return { url: configured, stop: async () => {} };
    const { startThrowawayPostgres } = await import('../test/support/postgres.js');
    return startThrowawayPostgres({ durable: true });
  })();
  return postgresServer.then((s) => s.url);
}

export async function stopPostgres(): Promise<void> {
  const server = postgresServer;
  postgresServer = null;
  if (server) await (await server).stop();
}

export async function postgresDatabase(): Promise<Database> {
  const { createDatabase } = await import('../test/support/postgres.js');
  const db = await createDatabase(await postgresUrl(), 'callflow_bench');
  return { url: db.url, cleanup: () => db.drop() };
}

/** The event path on PostgreSQL: one node, and two nodes sharing one database (load spread over both). */
export const POSTGRES_TARGETS: EventTarget[] = [
  {
    name: 'postgres',
    label: 'events, PostgreSQL, 1 node',
    nodes: 1,
    throughputGoal: 0.2,
    env: { LOG_LEVEL: 'warn' },
    connections: [100],
    database: postgresDatabase,
  },
  {
    name: 'postgres-2',
    label: 'events, PostgreSQL, 2 nodes, one database',
    nodes: 2,
    throughputGoal: null,
    env: { LOG_LEVEL: 'warn' },
    connections: [100],
    database: postgresDatabase,
  },
];

/** (e) The power-loss setting: a shorter run of each, compared with each other. */
export const SYNC_TARGETS: EventTarget[] = [
  {
    name: 'sqlite-normal',
    label: 'SQLITE_SYNCHRONOUS=NORMAL',
    nodes: 1,
    env: { LOG_LEVEL: 'warn', SQLITE_SYNCHRONOUS: 'NORMAL' },
    database: sqliteFile,
  },
  {
    name: 'sqlite-full',
    label: 'SQLITE_SYNCHRONOUS=FULL',
    nodes: 1,
    env: { LOG_LEVEL: 'warn', SQLITE_SYNCHRONOUS: 'FULL' },
    database: sqliteFile,
  },
];
