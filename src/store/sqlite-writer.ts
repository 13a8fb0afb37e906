/**
 * Where the SQLite store's writes run. better-sqlite3 is synchronous: on the event loop, every
 * commit (its statements and its WAL write) stalls every request for as long as it takes, about
 * 40 µs of a 180 µs event measured by the benchmark. A file-backed store therefore writes on a
 * thread of its own with its own connection; the event loop only serialises the rows and waits
 * for the answer, which comes after the commit, so nothing is acknowledged before it is durable.
 * `:memory:` cannot be shared between connections, so it writes in-thread.
 */
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { WRITER_DOWN } from './faults.js';
import { prepareProbe, setMaxPageCount } from './sqlite-probe.js';
import { prepareWrites, type WriteCall, type WriteOp, type Writes } from './sqlite-writes.js';
import { reviveError, type SerializedError } from './thread-errors.js';
import type { CommitOutcome } from './types.js';

export interface Writer {
  /** Batches that may be in flight at once: a thread queues the next while it commits one. */
  readonly concurrency: number;
  commit(ops: WriteOp[]): Promise<CommitOutcome[]>;
  /** Any other write, by name (jobs, capabilities' transactions). */
  call<C extends WriteCall>(call: C): Promise<ReturnType<Writes[C['method']]>>;
  /** A write that needs fresh pages, undone (sqlite-probe.ts): rejects while the store cannot write. */
  probe(): Promise<void>;
  /** Caps the database's size in pages on the writer's connection; answers the cap in force. */
  maxPageCount(pages: number): Promise<number>;
  /** Throws when the writer can no longer write (its thread died): the store is not ready. */
  check(): void;
  close(): Promise<void>;
}

export function inThreadWriter(db: Database.Database): Writer {
  const writes = prepareWrites(db);
  const probe = prepareProbe(db);
  return {
    concurrency: 1,
    async commit(ops) {
      return writes.commit(ops);
    },
    async call(call) {
      return invoke(writes, call) as never;
    },
    async probe() {
      probe();
    },
    async maxPageCount(pages) {
      return setMaxPageCount(db, pages);
    },
    check() {},
    async close() {},
  };
}

/** Runs one named write (the same dispatch in-thread and on the writer thread). */
export function invoke(writes: Writes, call: WriteCall): unknown {
  return (writes[call.method] as (...args: unknown[]) => unknown)(...call.args);
}

export type WriterRequest =
  | { id: number; op: 'commit'; ops: WriteOp[] }
  | { id: number; op: 'call'; call: WriteCall }
  | { id: number; op: 'probe' }
  | { id: number; op: 'maxPageCount'; pages: number };

/** The thread is gone (it is restarted): a transient store fault, not a bug. */
function writerDown(message: string): Error {
  return Object.assign(new Error(message), { code: WRITER_DOWN });
}

export type WriterReply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: SerializedError }
  | { ready: true }
  | { failed: SerializedError }
  | { closed: true };

export interface WriterThreadOptions {
  location: string;
  synchronous: 'NORMAL' | 'FULL';
}

// Compiled (dist/, production) the worker is a plain .js module beside this one. From the
// TypeScript sources (tests, `npm run dev`) it runs through tsx's public `tsImport` API, as
// vitest's workers and a plain `node` have no TypeScript loader of their own. Dynamic imports
// only: the code runs as CommonJS or, when the process was started with --input-type=module
// (inherited by workers), as an ES module.
const COMPILED = import.meta.url.endsWith('.js');
const BOOTSTRAP = `
import('node:worker_threads')
  .then(({ workerData }) => import(workerData.tsx).then(({ tsImport }) => tsImport(workerData.entry, workerData.entry)));
`;

function startWorker(options: WriterThreadOptions): Worker {
  if (COMPILED) return new Worker(new URL('./sqlite-writer.worker.js', import.meta.url), { workerData: options });
  const entry = new URL('./sqlite-writer.worker.ts', import.meta.url).href;
  // The package's own ESM export of its API (its CommonJS build resolves its loader wrongly when imported).
  const tsx = import.meta.resolve('tsx/esm/api');
  return new Worker(BOOTSTRAP, { eval: true, workerData: { ...options, tsx, entry } });
}

/** Starts the writer thread; resolves once it has opened the database. */
export async function startWriterThread(options: WriterThreadOptions): Promise<WriterThread> {
  const writer = new WriterThread(options);
  await writer.started;
  return writer;
}

interface Thread {
  worker: Worker;
  pending: Map<number, { resolve(value: unknown): void; reject(error: unknown): void }>;
  closed: Promise<void>;
}

/**
 * The writer on its own thread. If the thread dies (it should not: every write error is caught
 * and answered), what it had in flight fails, /readyz says so, and a new thread is started; a
 * request that fails this way was answered 5xx, and its client's retry with the same event id
 * is applied or replayed, never doubled.
 */
export class WriterThread implements Writer {
  readonly concurrency = 2;
  readonly started: Promise<void>;
  private thread: Thread | null = null;
  private failure: Error | null = null;
  private closing = false;
  private nextId = 1;
  private restartDelayMs = 50;
  private spawning: Promise<void> | null = null;
  private closed: Promise<void> | null = null;

  constructor(private readonly options: WriterThreadOptions) {
    this.started = this.spawn();
    this.spawning = this.started.catch(() => {});
  }

  /** The current worker (tests use it to kill the thread). */
  get worker(): Worker | null {
    return this.thread?.worker ?? null;
  }

  commit(ops: WriteOp[]): Promise<CommitOutcome[]> {
    return this.request<CommitOutcome[]>({ op: 'commit', ops });
  }

  call<C extends WriteCall>(call: C): Promise<ReturnType<Writes[C['method']]>> {
    return this.request({ op: 'call', call });
  }

  probe(): Promise<void> {
    return this.request<void>({ op: 'probe' });
  }

  maxPageCount(pages: number): Promise<number> {
    return this.request<number>({ op: 'maxPageCount', pages });
  }

  check(): void {
    if (this.failure) throw this.failure;
    if (!this.thread) throw writerDown('SQLite writer thread is not running');
  }

  /** Closes the writer's connection; every call waits for the same close. */
  close(): Promise<void> {
    this.closed ??= this.shutdown();
    return this.closed;
  }

  private async shutdown(): Promise<void> {
    this.closing = true;
    // A restart under way ends before we return (its thread is stopped once it is up), so the
    // store never closes the database while a writer connection is still open.
    await this.spawning?.catch(() => {});
    const thread = this.thread;
    if (!thread) return;
    thread.worker.ref(); // keep the process up until the connection is closed
    thread.worker.postMessage({ op: 'close' });
    await thread.closed;
    await thread.worker.terminate();
  }

  private request<T>(message: { op: WriterRequest['op'] } & Record<string, unknown>): Promise<T> {
    if (this.closing) return Promise.reject(new Error('SQLite writer is closed'));
    const thread = this.thread;
    if (!thread) return Promise.reject(this.failure ?? writerDown('SQLite writer thread is not running'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      // Referenced while an answer is awaited (an idle writer must not keep the process up, a
      // busy one must: a commit awaited during shutdown or by a script would otherwise be cut).
      if (thread.pending.size === 0) thread.worker.ref();
      thread.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      thread.worker.postMessage({ ...message, id });
    });
  }

  private spawn(): Promise<void> {
    const worker = startWorker(this.options);
    const pending: Thread['pending'] = new Map();
    let markClosed = () => {};
    const thread: Thread = { worker, pending, closed: new Promise((resolve) => (markClosed = resolve)) };

    return new Promise<void>((resolve, reject) => {
      let ready = false;
      let dead = false;
      const died = (error: Error) => {
        if (dead) return; // 'error' is followed by 'exit'
        dead = true;
        for (const p of pending.values()) p.reject(error);
        pending.clear();
        markClosed();
        if (this.thread === thread) this.thread = null;
        if (!ready) return reject(error);
        if (this.closing) return;
        this.failure = error;
        this.restart();
      };
      worker.on('message', (reply: WriterReply) => {
        if ('ready' in reply) {
          ready = true;
          if (this.closing) {
            // A restart that finished after close() began: nobody will use it.
            worker.postMessage({ op: 'close' });
            void thread.closed.then(() => worker.terminate()).then(() => resolve());
            return;
          }
          this.thread = thread;
          this.failure = null;
          this.restartDelayMs = 50;
          worker.unref(); // idle, it must not keep the process alive; close() waits for it
          return resolve();
        }
        if ('closed' in reply) return markClosed();
        if ('failed' in reply) return died(reviveError(reply.failed));
        const p = pending.get(reply.id);
        if (!p) return;
        pending.delete(reply.id);
        if (pending.size === 0 && !this.closing) worker.unref();
        if (reply.ok) p.resolve(reply.result);
        else p.reject(reviveError(reply.error));
      });
      worker.on('error', (error) => died(error));
      worker.on('exit', (code) => {
        if (this.closing && pending.size === 0) return markClosed();
        died(writerDown(`SQLite writer thread exited (code ${code})`));
      });
    });
  }

  private restart(): void {
    const delay = this.restartDelayMs;
    this.restartDelayMs = Math.min(delay * 2, 5_000);
    setTimeout(() => {
      if (this.closing || this.thread) return;
      this.spawning = this.spawn()
        .catch((error: Error) => {
          this.failure = error;
          this.restart();
        })
        .finally(() => {
          this.spawning = null;
        });
    }, delay).unref();
  }
}
