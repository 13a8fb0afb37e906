/**
 * The parts of SPEC §10's store faults that need no outage to check: the classification of store
 * errors (real ones where a driver can produce them here), codes across the SQLite writer thread,
 * the health's states and log lines, and the problem answers (the job worker's pause is in
 * job-worker.test.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { StoreDiskFull, StoreUnavailable } from '../../src/errors.js';
import { registerProblemHandler } from '../../src/http/problem.js';
import { classifyStoreError, WRITER_DOWN } from '../../src/store/faults.js';
import { asStoreFault } from '../../src/store/guarded.js';
import { StoreHealth } from '../../src/store/health.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { startWriterThread } from '../../src/store/sqlite-writer.js';
import { toWriteOp } from '../../src/store/sqlite-writes.js';
import { sleep, until } from '../support/api.js';
import { buildTestApp } from '../support/app.js';
import { freePort } from '../support/server-process.js';

const dir = mkdtempSync(join(tmpdir(), 'callflow-faults-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const coded = (code: string, message = 'x') => Object.assign(new Error(message), { code });

function caught(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('did not throw');
}

describe('classifyStoreError', () => {
  it('a refused PostgreSQL connection (a real pg error) is "unreachable"', async () => {
    const client = new pg.Client({ connectionString: `postgres://x@127.0.0.1:${await freePort()}/x` });
    const error = await client.connect().then(
      () => null,
      (e: unknown) => e,
    );
    expect(classifyStoreError(error)).toBe('unreachable');
  });

  it('a full SQLite database and a read-only one (real better-sqlite3 errors)', () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (x BLOB)');
    db.pragma('max_page_count = 2');
    expect(classifyStoreError(caught(() => db.prepare('INSERT INTO t VALUES (zeroblob(100000))').run()))).toBe(
      'disk-full',
    );
    const file = join(dir, 'ro.db');
    new Database(file).exec('CREATE TABLE t (x)');
    const readonly = new Database(file, { readonly: true });
    expect(classifyStoreError(caught(() => readonly.prepare('INSERT INTO t VALUES (1)').run()))).toBe('read-only');
  });

  it.each([
    ['ECONNRESET', 'connection-lost'],
    ['ETIMEDOUT', 'timeout'],
    ['57P01', 'shutdown'],
    ['57P03', 'shutdown'],
    ['08006', 'connection-lost'],
    ['08P01', 'connection-lost'],
    ['53300', 'pool-exhausted'],
    ['53100', 'disk-full'],
    ['53200', 'resources'],
    ['25006', 'read-only'],
    ['SQLITE_FULL', 'disk-full'],
    ['SQLITE_IOERR_WRITE', 'io-error'],
    ['SQLITE_READONLY_DBMOVED', 'read-only'],
    ['SQLITE_BUSY', 'busy'],
    ['SQLITE_BUSY_SNAPSHOT', 'busy'],
    [WRITER_DOWN, 'writer-down'],
  ])('code %s is %s', (code, kind) => {
    expect(classifyStoreError(coded(code))).toBe(kind);
  });

  it.each([
    ['Connection terminated unexpectedly', 'connection-lost'],
    ['timeout exceeded when trying to connect', 'pool-exhausted'],
    ['Connection terminated due to connection timeout', 'timeout'],
    ['Client has encountered a connection error and is not queryable', 'connection-lost'],
  ])('node-postgres "%s" is %s', (message, kind) => {
    expect(classifyStoreError(new Error(message))).toBe(kind);
  });

  it('looks into causes and AggregateErrors; leaves bugs and bad requests alone', () => {
    expect(classifyStoreError(new Error('wrapped', { cause: coded('ECONNREFUSED') }))).toBe('unreachable');
    expect(classifyStoreError(new AggregateError([coded('ECONNREFUSED'), coded('ECONNREFUSED')], ''))).toBe(
      'unreachable',
    );
    for (const error of [
      new TypeError("Cannot read properties of undefined (reading 'x')"),
      coded('23505', 'duplicate key value violates unique constraint'),
      coded('42P01', 'relation "calls" does not exist'),
      coded('28P01', 'password authentication failed'),
      coded('SQLITE_CONSTRAINT_UNIQUE'),
      coded('SQLITE_ERROR', 'no such table: calls'),
      null,
      'a string',
    ]) {
      expect(classifyStoreError(error)).toBeNull();
    }
  });

  it('asStoreFault: a fault becomes a coded 503 or 507 with its cause; anything else passes unchanged', () => {
    const full = coded('SQLITE_FULL');
    expect(asStoreFault(full)).toBeInstanceOf(StoreDiskFull);
    expect((asStoreFault(full) as Error).cause).toBe(full);
    const gone = asStoreFault(coded('ECONNREFUSED')) as StoreUnavailable;
    expect(gone).toBeInstanceOf(StoreUnavailable);
    expect([gone.statusCode, gone.kind, gone.retryAfter > 0]).toEqual([503, 'unreachable', true]);
    const bug = new TypeError('bug');
    expect(asStoreFault(bug)).toBe(bug);
  });
});

describe('the SQLite writer thread keeps error codes across the thread boundary', () => {
  it('a commit refused for a full database arrives with SQLITE_FULL', async () => {
    const file = join(dir, 'writer.db');
    await (await openSqliteStore(file)).close();
    const writer = await startWriterThread({ location: file, synchronous: 'NORMAL' });
    try {
      await writer.maxPageCount(1);
      const big = {
        kind: 'create' as const,
        call: {
          callId: 'big',
          status: 'active' as const,
          version: 0,
          locale: 'ru' as const,
          snapshot: { value: 'x', context: { filler: 'x'.repeat(200_000) } },
          prompts: [],
          actions: [],
          timers: [],
          createFingerprint: '{}',
          createdAt: 1,
          updatedAt: 1,
          operatorId: null,
          scriptVersion: 1,
        },
      };
      const error = await writer.commit([toWriteOp(big)]).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ code: 'SQLITE_FULL' });
      expect(classifyStoreError(error)).toBe('disk-full');
      await expect(writer.probe()).rejects.toMatchObject({ code: 'SQLITE_FULL' });
      await writer.maxPageCount(1_000_000);
      await writer.probe();
      expect(await writer.commit([toWriteOp(big)])).toEqual(['ok']);
    } finally {
      await writer.close();
    }
  });
});

function healthWith(probe: () => Promise<void>) {
  const lines: { level: 'warn' | 'info'; fields: Record<string, unknown>; message: string }[] = [];
  const faults: string[] = [];
  const health = new StoreHealth({
    probe,
    probeIntervalMs: 30,
    log: {
      warn: (fields, message) => lines.push({ level: 'warn', fields: fields as Record<string, unknown>, message }),
      info: (fields, message) => lines.push({ level: 'info', fields: fields as Record<string, unknown>, message }),
    },
    onFault: (kind) => faults.push(kind),
  });
  return { health, lines, faults };
}

describe('StoreHealth', () => {
  it('down on the first fault, one warning counting the refused requests, up by the probe with one line', async () => {
    let reachable = false;
    let probes = 0;
    const { health, lines, faults } = healthWith(async () => {
      probes++;
      if (!reachable) throw coded('ECONNREFUSED');
    });
    try {
      expect(health.up).toBe(true);
      health.failed('connection-lost');
      for (let i = 0; i < 3; i++) {
        health.failed('unreachable');
        health.refused();
      }
      expect([health.up, health.fault]).toEqual([false, 'connection-lost']);
      let upAgain = false;
      void health.whenUp().then(() => (upAgain = true));
      await sleep(120);
      expect(probes).toBeGreaterThanOrEqual(2);
      expect(upAgain).toBe(false);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ level: 'warn', fields: { storeFault: 'connection-lost', refused: 3 } });
      health.refused();
      reachable = true;
      await until(() => health.up, { timeoutMs: 2_000 });
      await sleep(0);
      expect(upAgain).toBe(true);
      expect(lines).toHaveLength(2);
      expect(lines[1]).toMatchObject({
        level: 'info',
        fields: { storeFault: 'connection-lost', refused: 4, kinds: ['connection-lost', 'unreachable'] },
      });
      expect(faults).toEqual(['connection-lost', 'unreachable', 'unreachable', 'unreachable']);
      // Up: no probing, and a new fault is a new outage with its own two lines.
      const before = probes;
      await sleep(100);
      expect(probes).toBe(before);
    } finally {
      health.close();
    }
  });

  it('a success while down probes at once, instead of waiting for the next interval', async () => {
    let probes = 0;
    const health = new StoreHealth({
      probe: async () => {
        probes++;
      },
      probeIntervalMs: 60_000,
      log: { warn() {}, info() {} },
    });
    try {
      health.failed('busy');
      health.succeeded();
      await until(() => health.up, { timeoutMs: 1_000 });
      expect(probes).toBe(1);
    } finally {
      health.close();
    }
  });

  it('close() releases whoever waits for the store', async () => {
    const { health } = healthWith(() => Promise.reject(coded('ECONNREFUSED')));
    health.failed('unreachable');
    const waiting = health.whenUp();
    health.close();
    await expect(waiting).resolves.toBeUndefined();
  });
});

describe('store faults as problem+json', () => {
  async function appThrowing(error: Error) {
    const logged: Record<string, unknown>[] = [];
    const app = Fastify({
      logger: {
        level: 'info',
        stream: { write: (line: string) => void logged.push(JSON.parse(line)) },
      },
    });
    registerProblemHandler(app);
    app.get('/x', async () => {
      throw error;
    });
    await app.ready();
    return { app, logged };
  }

  it('503 store-unavailable with Retry-After and the kind, not logged as an error', async () => {
    const { app, logged } = await appThrowing(new StoreUnavailable('unreachable'));
    const res = await app.inject({ method: 'GET', url: '/x' });
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['retry-after']).toBe('2');
    expect(res.json()).toMatchObject({
      type: 'https://callflow.dev/problems/store-unavailable',
      title: 'Service Unavailable',
      status: 503,
      kind: 'unreachable',
    });
    expect(res.json().detail).toMatch(/retry/i);
    expect(logged.filter((l) => Number(l.level) >= 50)).toEqual([]);
    await app.close();
  });

  it('507 store-disk-full', async () => {
    const { app } = await appThrowing(new StoreDiskFull());
    const res = await app.inject({ method: 'GET', url: '/x' });
    expect(res.statusCode).toBe(507);
    expect(res.json()).toMatchObject({ type: 'https://callflow.dev/problems/store-disk-full', status: 507 });
    await app.close();
  });

  it('an unexpected error is still a logged 500 "internal"', async () => {
    const { app, logged } = await appThrowing(new TypeError('bug'));
    const res = await app.inject({ method: 'GET', url: '/x' });
    expect(res.statusCode).toBe(500);
    expect(res.json().type).toBe('https://callflow.dev/problems/internal');
    expect(logged.filter((l) => Number(l.level) === 50)).toHaveLength(1);
    await app.close();
  });

  it('the OpenAPI lists 503 and 507 for the /v1 routes', async () => {
    const app = await buildTestApp();
    try {
      const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as {
        paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
      };
      const post = doc.paths['/v1/calls/{callId}/events']?.post;
      expect(Object.keys(post?.responses ?? {})).toEqual(expect.arrayContaining(['200', '503', '507']));
    } finally {
      await app.close();
    }
  });
});
