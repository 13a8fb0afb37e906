/**
 * PostgreSQL for tests. When TEST_DATABASE_URL (or DATABASE_URL) names a postgres:// server, tests
 * use it; otherwise a throwaway server is started: initdb into a temp dir, a free port on
 * 127.0.0.1, run as the unprivileged `postgres` user when we are root (PostgreSQL refuses root),
 * fsync off (tests only). It throws when PostgreSQL cannot be started: a test that needs it fails,
 * it is never skipped. Each test file takes a fresh database of its own (`testDatabase`).
 *
 * One throwaway server per vitest run, started by the first test file that asks for one (so a
 * run of the machine tests alone pays nothing) and stopped by the globalSetup's teardown
 * (test/support/postgres.global.ts). Workers agree on who starts it through an atomic mkdir in
 * the run's directory.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { MACHINE_TIMERS, type StoredCall, type StoreProbe } from './scenarios.js';
import { freePort } from './server-process.js';
import { toStoredCall, toStoredHistory, toStoredTimer } from './stored.js';

const run = promisify(execFile);

export interface TestPostgres {
  /** A superuser URL of the maintenance database (`postgres`). */
  url: string;
  /** The server's directory (data, socket, log); null for a configured server. */
  dir: string | null;
  stop(): Promise<void>;
}

/** A throwaway server of a test's own, which the test may kill and start again. */
export interface OwnPostgres extends TestPostgres {
  dir: string;
  port: number;
  /** kill -9 of the postmaster (its backends follow); the data directory stays. */
  kill(): Promise<void>;
  /** Starts the server again on the same data directory and port (crash recovery first). */
  start(): Promise<void>;
}

export function configuredPostgresUrl(env: NodeJS.ProcessEnv = process.env): string | null {
  for (const candidate of [env.TEST_DATABASE_URL, env.DATABASE_URL]) {
    if (candidate && /^postgres(ql)?:\/\//.test(candidate)) return candidate;
  }
  return null;
}

export interface ThrowawayOptions {
  /** Keep fsync and synchronous_commit on (benchmarks); tests turn them off. */
  durable?: boolean;
  /** Listen here (a test that starts the service before its database); default a free port. */
  port?: number;
}

const asRoot = () => process.getuid?.() === 0;

/** PostgreSQL refuses to run as root; `runuser` drops to its own user (tests and CI run as root). */
function pgRun(bin: string, args: string[]) {
  return asRoot() ? run('runuser', ['-u', 'postgres', '--', bin, ...args]) : run(bin, args);
}

export async function startThrowawayPostgres(options: ThrowawayOptions = {}): Promise<OwnPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'callflow-pg-'));
  const data = join(dir, 'data');
  const log = join(dir, 'postgres.log');
  try {
    if (asRoot()) {
      const ids = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]).catch(() => {
        throw new Error('running as root and there is no `postgres` system user to run PostgreSQL as');
      });
      chownSync(dir, Number(ids[0].stdout.trim()), Number(ids[1].stdout.trim()));
    }
    const port = options.port ?? (await freePort());
    await pgRun('initdb', [
      '-D',
      data,
      '-U',
      'postgres',
      '--auth=trust',
      '--encoding=UTF8',
      '--locale=C',
      '--no-sync',
      '--no-instructions',
    ]);
    const settings = [
      `-p ${port}`,
      "-c listen_addresses='127.0.0.1'",
      `-c unix_socket_directories='${dir}'`,
      // Tests only: what they check is the service surviving kill -9, not the database server
      // surviving power loss.
      ...(options.durable ? [] : ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off']),
      '-c max_connections=300',
      '-c shared_buffers=64MB',
    ].join(' ');
    const start = () => pgRun('pg_ctl', ['-D', data, '-l', log, '-o', settings, '-w', '-t', '30', 'start']);
    await start();
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      dir,
      port,
      stop: () => stopThrowawayPostgres(dir),
      kill: () => killPostgres(data),
      async start() {
        // A killed postmaster's backends may hold its shared memory for a moment.
        for (let attempt = 1; ; attempt++) {
          try {
            await start();
            return;
          } catch (error) {
            if (attempt >= 20) throw error;
            await new Promise((r) => setTimeout(r, 250));
          }
        }
      },
    };
  } catch (error) {
    const detail = existsSync(log) ? readFileSync(log, 'utf8') : '';
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`could not start a throwaway PostgreSQL: ${(error as Error).message}\n${detail}`);
  }
}

/** SIGKILL to the postmaster named in postmaster.pid; returns once it is gone. Its backends
 *  exit by themselves when they notice (start() retries while they still hold its memory). */
async function killPostgres(data: string): Promise<void> {
  const pidFile = join(data, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!alive()) return;
  process.kill(pid, 'SIGKILL');
  const deadline = Date.now() + 10_000;
  while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

export async function stopThrowawayPostgres(dir: string): Promise<void> {
  await pgRun('pg_ctl', ['-D', join(dir, 'data'), '-m', 'immediate', '-w', 'stop']).catch(() => {});
  rmSync(dir, { recursive: true, force: true });
}

// ---- one server per vitest run ----------------------------------------------------------

interface RunState {
  url?: string;
  dir?: string | null;
  error?: string;
}

/**
 * The run's server: the configured one, or the throwaway one the first caller in any worker
 * starts (the others wait for it). `runDir` comes from the globalSetup.
 */
export async function runPostgres(runDir: string, timeoutMs = 60_000): Promise<string> {
  const stateFile = join(runDir, 'server.json');
  let starter = false;
  try {
    mkdirSync(join(runDir, 'starting'));
    starter = true;
  } catch {
    // another worker is starting it
  }
  if (starter) {
    let state: RunState;
    try {
      const server = await startThrowawayPostgres();
      state = { url: server.url, dir: server.dir };
    } catch (error) {
      state = { error: (error as Error).message };
    }
    // Readers poll for the file: it appears whole (rename is atomic).
    writeFileSync(`${stateFile}.tmp`, JSON.stringify(state));
    renameSync(`${stateFile}.tmp`, stateFile);
  }
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(stateFile)) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the test PostgreSQL to start');
    await new Promise((r) => setTimeout(r, 50));
  }
  const state = JSON.parse(readFileSync(stateFile, 'utf8')) as RunState;
  if (state.error || !state.url) throw new Error(state.error ?? 'the test PostgreSQL did not start');
  return state.url;
}

/** The globalSetup's teardown: stops the run's throwaway server if a test started one. */
export async function stopRunPostgres(runDir: string): Promise<void> {
  const stateFile = join(runDir, 'server.json');
  if (existsSync(stateFile)) {
    const state = JSON.parse(readFileSync(stateFile, 'utf8')) as RunState;
    if (state.dir) await stopThrowawayPostgres(state.dir);
  }
  rmSync(runDir, { recursive: true, force: true });
}

// ---- databases --------------------------------------------------------------------------

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** A fresh, empty database on the server at `serverUrl`, so test files do not see each other. */
export async function createDatabase(serverUrl: string, prefix = 'callflow_test'): Promise<TestDatabase> {
  const name = `${prefix.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  await admin(serverUrl, `CREATE DATABASE "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () => admin(serverUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

async function admin(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * A fresh database on the run's PostgreSQL. Throws, failing the caller's tests, when no server
 * could be started.
 */
export async function testDatabase(prefix: string): Promise<TestDatabase> {
  const { inject } = await import('vitest');
  const configured = inject('postgresUrl');
  const serverUrl = configured || (await runPostgres(inject('postgresRunDir')));
  return createDatabase(serverUrl, prefix);
}

/** Reads a PostgreSQL store behind the service's back, in the shape the process scenarios check
 *  (test/support/scenarios.ts StoreProbe). */
export function postgresProbe(databaseUrl: string): StoreProbe {
  return {
    async read() {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        // One snapshot of all three tables.
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        const calls = await client.query('SELECT call_id, version, status, timers FROM calls ORDER BY call_id');
        const history = await client.query(
          'SELECT call_id, seq, event_id, type, source, at::float8 AS at FROM history ORDER BY call_id, seq',
        );
        const timers = await client.query(
          `SELECT call_id, timer_id, due_at::float8 AS due_at FROM jobs WHERE ${MACHINE_TIMERS} ORDER BY call_id, timer_id`,
        );
        await client.query('COMMIT');
        return {
          calls: calls.rows.map((r) => toStoredCall(r, (column) => column as StoredCall['timers'])),
          history: history.rows.map(toStoredHistory),
          timers: timers.rows.map(toStoredTimer),
        };
      } finally {
        await client.end();
      }
    },
  };
}
