/**
 * The SQLite writer thread (src/store/sqlite-writer.ts): what happens when the thread dies or
 * the writer is closed. The happy path is the store contract suite, which writes through it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { startWriterThread, type WriterThread } from '../../src/store/sqlite-writer.js';
import { toWriteOp } from '../../src/store/sqlite-writes.js';
import type { CreateChange } from '../../src/store/types.js';
import { sleep, until } from '../support/api.js';

const dir = mkdtempSync(join(tmpdir(), 'callflow-writer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function create(callId: string): CreateChange {
  return {
    kind: 'create',
    call: {
      callId,
      status: 'active',
      version: 0,
      locale: 'ru',
      snapshot: { value: 'x', context: {} },
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
}

const stored = (file: string) => {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('SELECT call_id FROM calls ORDER BY call_id').all() as { call_id: string }[]).map(
      (r) => r.call_id,
    );
  } finally {
    db.close();
  }
};

describe('SQLite writer thread', () => {
  const file = join(dir, 'calls.db');
  let writer: WriterThread;

  beforeAll(async () => {
    await (await openSqliteStore(file)).close(); // the schema
    writer = await startWriterThread({ location: file, synchronous: 'NORMAL' });
  });
  afterAll(async () => {
    await writer?.close();
  });

  it('answers after the commit: the row is in the file when the promise resolves', async () => {
    expect(await writer.commit([toWriteOp(create('a'))])).toEqual(['ok']);
    expect(stored(file)).toEqual(['a']);
    // A second create of the same call is a conflict, reported per change.
    expect(await writer.commit([toWriteOp(create('a')), toWriteOp(create('b'))])).toEqual(['conflict', 'ok']);
  });

  it('when the thread dies: in-flight and new requests fail, the store is not ready, then a new thread writes', async () => {
    const worker = writer.worker;
    expect(worker).not.toBeNull();
    const inFlight = writer.commit([toWriteOp(create('c'))]);
    await worker!.terminate();
    // Either it was committed before the thread went, or it failed: never a silent success.
    const outcome = await inFlight.then(
      (value) => value,
      (error: Error) => error.message,
    );
    if (Array.isArray(outcome)) expect(stored(file)).toContain('c');
    else expect(outcome).toMatch(/exited/);
    expect(() => writer.check()).toThrow();
    await expect(writer.commit([toWriteOp(create('d'))])).rejects.toThrow();
    expect(stored(file)).not.toContain('d');

    await until(() => writer.worker !== null && writer.worker !== worker);
    expect(() => writer.check()).not.toThrow();
    expect(await writer.commit([toWriteOp(create('d'))])).toEqual(['ok']);
    expect(stored(file)).toContain('d');
  });

  it('refuses requests once closed, and closes more than once', async () => {
    const other = await startWriterThread({ location: file, synchronous: 'NORMAL' });
    await other.close();
    await other.close();
    await expect(other.commit([toWriteOp(create('e'))])).rejects.toThrow(/closed/);
    expect(stored(file)).not.toContain('e');
  });

  it('closes while a dead thread is being replaced, and stays closed', async () => {
    const other = await startWriterThread({ location: file, synchronous: 'NORMAL' });
    await other.worker!.terminate();
    await sleep(80); // the first restart is 50 ms after the death
    await Promise.all([other.close(), other.close()]);
    await sleep(600); // a restart that was under way has finished
    await expect(other.commit([toWriteOp(create('f'))])).rejects.toThrow(/closed/);
    expect(stored(file)).not.toContain('f');
  });

  it('keeps a process alive while it waits for a commit (a script with nothing else to do)', () => {
    const script = `
      import { openSqliteStore } from './src/store/sqlite.ts';
      const store = await openSqliteStore(process.argv[1]);
      const call = { callId: 'x', status: 'active', version: 0, locale: 'ru', snapshot: {}, prompts: [], actions: [],
        timers: [], createFingerprint: '{}', createdAt: 1, updatedAt: 1,
        operatorId: null, scriptVersion: 1 };
      console.log(JSON.stringify(await store.commit([{ kind: 'create', call }])));
      await store.close();
    `;
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script, join(dir, 'script.db')],
      {
        cwd: new URL('../../', import.meta.url),
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect({ status: run.status, stdout: run.stdout.trim() }, run.stderr).toEqual({ status: 0, stdout: '["ok"]' });
  });

  it('fails to start on a file without the schema', async () => {
    await expect(startWriterThread({ location: join(dir, 'empty.db'), synchronous: 'NORMAL' })).rejects.toThrow(
      /no such table/,
    );
  });
});
