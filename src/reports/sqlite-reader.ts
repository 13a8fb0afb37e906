/**
 * The adherence report's statements on SQLite run on a thread of their own: better-sqlite3 is
 * synchronous, and a report over a large history (about a second at 100,000 calls) must not hold
 * the event loop that applies call events. One worker, started on first use, with a read-only
 * connection to the same file; a worker that dies fails its pending queries and is started again
 * on the next one. An in-memory database has no file to share: its reports stay on the store.
 */
import { Worker } from 'node:worker_threads';
import type { Row, SqlValue } from '../store/types.js';

/** What runs a report's SQL: the store itself, or a reader of its own (./readers.ts). */
export interface ReportQueries {
  query(sql: string, params?: readonly SqlValue[]): Promise<Row[]>;
}

// As src/store/sqlite-writer.ts: compiled, a plain .js beside this one; from the sources, through tsx.
const COMPILED = import.meta.url.endsWith('.js');
const BOOTSTRAP = `
import('node:worker_threads')
  .then(({ workerData }) => import(workerData.tsx).then(({ tsImport }) => tsImport(workerData.entry, workerData.entry)));
`;

function startWorker(location: string): Worker {
  if (COMPILED) return new Worker(new URL('./sqlite-reader.worker.js', import.meta.url), { workerData: { location } });
  const entry = new URL('./sqlite-reader.worker.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  return new Worker(BOOTSTRAP, { eval: true, workerData: { location, tsx, entry } });
}

type Reply = { id: number; rows: Row[] } | { id: number; error: { message: string; code?: string } };

export class SqliteReportReader implements ReportQueries {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (rows: Row[]) => void; reject: (error: Error) => void }>();

  constructor(private readonly location: string) {}

  query(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise<Row[]>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, sql, params });
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    this.failAll(new Error('report reader closed'));
    await worker?.terminate();
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = startWorker(this.location);
    worker.on('message', (reply: Reply) => {
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      this.pending.delete(reply.id);
      if ('rows' in reply) waiting.resolve(reply.rows);
      else waiting.reject(Object.assign(new Error(reply.error.message), { code: reply.error.code }));
    });
    const lost = (error: Error) => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.failAll(error);
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`report reader thread exited with ${code}`)));
    this.worker = worker;
    return worker;
  }

  private failAll(error: Error): void {
    for (const { reject } of this.pending.values()) reject(error);
    this.pending.clear();
  }
}
