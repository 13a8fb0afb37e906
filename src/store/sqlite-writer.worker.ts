/**
 * The SQLite writer thread (started by sqlite-writer.ts): its own connection, every write of
 * the store, one request at a time in the order they were posted.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { invoke, type WriterReply, type WriterRequest, type WriterThreadOptions } from './sqlite-writer.js';
import { configureConnection, prepareWrites } from './sqlite-writes.js';

const options = workerData as WriterThreadOptions;
const port = parentPort!;
const reply = (message: WriterReply) => port.postMessage(message);

let db: Database.Database;
let writes: ReturnType<typeof prepareWrites>;
try {
  db = new Database(options.location);
  configureConnection(db, options.synchronous);
  // Checkpoints run on the checkpointer thread, never inside a commit.
  db.pragma('wal_autocheckpoint = 0');
  writes = prepareWrites(db);
} catch (error) {
  // An error thrown here would reach the parent without its message.
  const { message, code } = error as Error & { code?: string };
  reply({ failed: { name: 'Error', message, ...(code === undefined ? {} : { code }) } });
  process.exit(1);
}

port.on('message', (request: WriterRequest | { op: 'close' }) => {
  if (request.op === 'close') {
    db.close();
    reply({ closed: true });
    port.close();
    return;
  }
  try {
    const result = request.op === 'commit' ? writes.commit(request.ops) : invoke(writes, request.call);
    reply({ id: request.id, ok: true, result });
  } catch (error) {
    const { name, message, code } = error as Error & { code?: string };
    reply({ id: request.id, ok: false, error: { name, message, ...(code === undefined ? {} : { code }) } });
  }
});
reply({ ready: true });
