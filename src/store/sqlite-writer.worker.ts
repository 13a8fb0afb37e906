/**
 * The SQLite writer thread (started by sqlite-writer.ts): its own connection, every write of
 * the store, one request at a time in the order they were posted.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { prepareProbe, setMaxPageCount } from './sqlite-probe.js';
import { invoke, type WriterReply, type WriterRequest, type WriterThreadOptions } from './sqlite-writer.js';
import { configureConnection, prepareWrites } from './sqlite-writes.js';
import { serializeError } from './thread-errors.js';

const options = workerData as WriterThreadOptions;
const port = parentPort!;
const reply = (message: WriterReply) => port.postMessage(message);

let db: Database.Database;
let writes: ReturnType<typeof prepareWrites>;
let probe: () => void;
try {
  db = new Database(options.location);
  configureConnection(db, options.synchronous);
  // Checkpoints run on the checkpointer thread, never inside a commit.
  db.pragma('wal_autocheckpoint = 0');
  writes = prepareWrites(db);
  probe = prepareProbe(db);
} catch (error) {
  // An error thrown here would reach the parent without its message.
  reply({ failed: serializeError(error) });
  process.exit(1);
}

function run(request: WriterRequest): unknown {
  switch (request.op) {
    case 'commit':
      return writes.commit(request.ops);
    case 'call':
      return invoke(writes, request.call);
    case 'probe':
      return probe();
    case 'maxPageCount':
      return setMaxPageCount(db, request.pages);
  }
}

port.on('message', (request: WriterRequest | { op: 'close' }) => {
  if (request.op === 'close') {
    db.close();
    reply({ closed: true });
    port.close();
    return;
  }
  try {
    reply({ id: request.id, ok: true, result: run(request) });
  } catch (error) {
    reply({ id: request.id, ok: false, error: serializeError(error) });
  }
});
reply({ ready: true });
