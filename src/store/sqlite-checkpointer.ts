/**
 * WAL checkpoints off the event loop. With SQLite's automatic checkpoint, the commit that
 * crosses 1,000 WAL pages copies them into the database and fsyncs it on the event loop
 * (10-25 ms, measured by the benchmark: most of the p99 tail). Here a worker thread with its own
 * connection runs a PASSIVE checkpoint every interval, which never blocks the writer.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

// Dynamic imports only: the code runs as CommonJS or, when the process was started with
// --input-type=module (inherited by workers), as an ES module.
const WORKER = `
import('node:worker_threads').then(async ({ workerData, parentPort }) => {
  const { default: Database } = await import(workerData.driver);
  const db = new Database(workerData.location);
  db.pragma('busy_timeout = 1000');
  const checkpoint = () => { try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {} };
  const timer = setInterval(checkpoint, workerData.intervalMs);
  parentPort.on('message', () => { clearInterval(timer); db.close(); parentPort.close(); });
});
`;

export interface Checkpointer {
  stop(): Promise<void>;
}

export function startCheckpointer(location: string, intervalMs = 500): Checkpointer {
  const driver = pathToFileURL(createRequire(import.meta.url).resolve('better-sqlite3')).href;
  const worker = new Worker(WORKER, { eval: true, workerData: { location, driver, intervalMs } });
  worker.unref();
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    async stop() {
      worker.ref(); // keep the process up until the worker has closed its connection
      worker.postMessage('stop');
      let timeout: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (timeout = setTimeout(r, 2000)))]);
      clearTimeout(timeout);
      await worker.terminate();
    },
  };
}
