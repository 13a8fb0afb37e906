/**
 * Where the SQLite store's writes run. better-sqlite3 is synchronous: on the event loop, every
 * commit (its statements and its WAL write) stalls every request for as long as it takes, about
 * 40 µs of a 180 µs event measured by the benchmark. A file-backed store therefore writes on a
 * thread of its own with its own connection; the event loop only serialises the rows and waits
 * for the answer, which comes after the commit, so nothing is acknowledged before it is durable.
 * `:memory:` cannot be shared between connections, so it writes in-thread.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import type { Row } from './rows.js';
import { prepareWrites, type WriteOp } from './sqlite-writes.js';
import type { CommitOutcome } from './types.js';

export interface Writer {
  /** Batches that may be in flight at once: a thread queues the next while it commits one. */
  readonly concurrency: number;
  commit(ops: WriteOp[]): Promise<CommitOutcome[]>;
  claimDue(now: number, limit: number, leaseMs: number): Promise<Row[]>;
  close(): Promise<void>;
}

export function inThreadWriter(db: Database.Database): Writer {
  const writes = prepareWrites(db);
  return {
    concurrency: 1,
    async commit(ops) {
      return writes.commit(ops);
    },
    async claimDue(now, limit, leaseMs) {
      return writes.claimDue(now, limit, leaseMs);
    },
    async close() {},
  };
}

export type WriterRequest =
  | { id: number; op: 'commit'; ops: WriteOp[] }
  | { id: number; op: 'claimDue'; now: number; limit: number; leaseMs: number };

export type WriterReply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { name: string; message: string; code?: string } }
  | { ready: true }
  | { closed: true };

export interface WriterThreadOptions {
  location: string;
  synchronous: 'NORMAL' | 'FULL';
}

// The worker runs our TypeScript entry through tsx's tsImport (vitest's workers and a plain
// `node` have no TypeScript loader of their own).
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
import(workerData.tsx).then(({ tsImport }) => tsImport(workerData.entry, workerData.entry));
`;

/** Starts the writer thread; resolves once it has opened the database. */
export async function startWriterThread(options: WriterThreadOptions): Promise<Writer> {
  // The ESM build: tsx's CommonJS API resolves its own loader wrongly when imported.
  const tsxRoot = dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const tsx = pathToFileURL(join(tsxRoot, 'dist/esm/api/index.mjs')).href;
  const entry = new URL('./sqlite-writer.worker.ts', import.meta.url).href;
  const worker = new Worker(BOOTSTRAP, { eval: true, workerData: { ...options, tsx, entry } });

  const pending = new Map<number, { resolve(value: unknown): void; reject(error: unknown): void }>();
  let nextId = 1;
  let failure: Error | null = null;
  let closing = false;
  let onReady: { resolve(): void; reject(error: unknown): void } | null = null;
  let onClosed: (() => void) | null = null;

  const fail = (error: Error) => {
    failure ??= error;
    for (const p of pending.values()) p.reject(failure);
    pending.clear();
    onReady?.reject(failure);
  };
  worker.on('message', (reply: WriterReply) => {
    if ('ready' in reply) return onReady?.resolve();
    if ('closed' in reply) return onClosed?.();
    const p = pending.get(reply.id);
    if (!p) return;
    pending.delete(reply.id);
    if (reply.ok) p.resolve(reply.result);
    else p.reject(Object.assign(new Error(reply.error.message), reply.error));
  });
  worker.on('error', (error) => fail(error));
  worker.on('exit', (code) => {
    if (!closing || pending.size > 0) fail(new Error(`SQLite writer thread exited (code ${code})`));
    onClosed?.();
  });

  await new Promise<void>((resolve, reject) => {
    onReady = { resolve, reject };
  });
  onReady = null;
  worker.unref(); // idle, it must not keep the process alive; close() waits for it explicitly

  const request = <T>(message: { op: WriterRequest['op'] } & Record<string, unknown>): Promise<T> => {
    if (failure) return Promise.reject(failure);
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      worker.postMessage({ ...message, id });
    });
  };

  return {
    concurrency: 2,
    commit(ops) {
      return request<CommitOutcome[]>({ op: 'commit', ops });
    },
    claimDue(now, limit, leaseMs) {
      return request<Row[]>({ op: 'claimDue', now, limit, leaseMs });
    },
    async close() {
      if (closing) return;
      closing = true;
      if (failure) {
        await worker.terminate();
        return;
      }
      worker.ref();
      const closed = new Promise<void>((resolve) => {
        onClosed = resolve;
      });
      worker.postMessage({ op: 'close' });
      await closed;
      await worker.terminate();
    },
  };
}
