/**
 * The embedded default store: SQLite in WAL mode through better-sqlite3. Reads run on this
 * connection; every write (a batch of changes is one BEGIN IMMEDIATE transaction) runs on the
 * writer (sqlite-writer.ts: its own thread for a file).
 */
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { ConfigError } from '../config.js';
import { parseJson, type Row, toCall, toHistory, toTimer } from './rows.js';
import { startCheckpointer } from './sqlite-checkpointer.js';
import { PROBE_TABLE_SQL } from './sqlite-probe.js';
import { TransactionBatch } from './sqlite-transaction-batch.js';
import { inThreadWriter, startWriterThread, type Writer } from './sqlite-writer.js';
import { configureConnection, toWriteOp } from './sqlite-writes.js';
import type { CallStatus, CallStore, ListQuery } from './types.js';

const MIGRATIONS: string[] = [
  `CREATE TABLE calls (
     call_id TEXT PRIMARY KEY,
     status TEXT NOT NULL,
     version INTEGER NOT NULL,
     locale TEXT NOT NULL,
     snapshot TEXT NOT NULL,
     prompts TEXT NOT NULL,
     actions TEXT NOT NULL,
     timers TEXT NOT NULL,
     create_fingerprint TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL
   );
   CREATE INDEX calls_by_status ON calls (status, call_id);
   CREATE TABLE history (
     call_id TEXT NOT NULL,
     seq INTEGER NOT NULL,
     event_id TEXT,
     fingerprint TEXT,
     type TEXT NOT NULL,
     data TEXT NOT NULL,
     source TEXT NOT NULL,
     at INTEGER NOT NULL,
     status TEXT NOT NULL,
     snapshot TEXT NOT NULL,
     prompts TEXT NOT NULL,
     actions TEXT NOT NULL,
     timers TEXT NOT NULL,
     PRIMARY KEY (call_id, seq)
   );
   CREATE UNIQUE INDEX history_by_event_id ON history (call_id, event_id) WHERE event_id IS NOT NULL;
   CREATE TABLE timers (
     call_id TEXT NOT NULL,
     timer_id TEXT NOT NULL,
     name TEXT NOT NULL,
     due_at INTEGER NOT NULL,
     event TEXT NOT NULL,
     locked_until INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (call_id, timer_id)
   );
   CREATE INDEX timers_by_due ON timers (due_at);`,
  // The worker asks for the next due time after every wake: served by this index instead of
  // a scan of every pending timer (1-2 ms at 10,000 timers on hold).
  'CREATE INDEX timers_by_lease_due ON timers (locked_until, due_at);',
  // The timers table holds every durable job now (src/jobs/); calls learn their operator
  // (SPEC §8) and the script version they started with (SPEC §11).
  `ALTER TABLE timers RENAME TO jobs;
   DROP INDEX timers_by_due;
   DROP INDEX timers_by_lease_due;
   CREATE INDEX jobs_by_lease_due ON jobs (locked_until, due_at);
   CREATE INDEX jobs_by_due ON jobs (due_at);
   ALTER TABLE calls ADD COLUMN operator_id TEXT;
   ALTER TABLE calls ADD COLUMN script_version INTEGER NOT NULL DEFAULT 1;
   CREATE INDEX calls_by_operator ON calls (operator_id, call_id) WHERE operator_id IS NOT NULL;`,
  // The write probe's table (sqlite-probe.ts): readiness asks whether the store can write.
  PROBE_TABLE_SQL,
  // Script versions (SPEC §11, src/scripts/): each a whole script, never rewritten.
  `CREATE TABLE script_versions (
     version INTEGER PRIMARY KEY,
     published_at INTEGER NOT NULL,
     published_by TEXT NOT NULL,
     content TEXT NOT NULL,
     fingerprint TEXT NOT NULL,
     summary TEXT NOT NULL
   );`,
  // The supervisor's desk (SPEC §8): escalations, the log of their changes that streams resume
  // from (seq is the SSE id), and the indexes of the adherence report (src/reports/adherence.ts):
  // calls by start time, and the history rows the report reads, covered so it never reads the
  // rows' JSON snapshots. The partial index's WHERE is the report's, word for word.
  `CREATE TABLE escalations (
     id TEXT PRIMARY KEY,
     call_id TEXT NOT NULL,
     operator_id TEXT,
     topic TEXT NOT NULL,
     status TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     acknowledged_at INTEGER,
     acknowledged_by TEXT,
     resolved_at INTEGER,
     resolved_by TEXT,
     resolution TEXT
   );
   CREATE INDEX escalations_newest ON escalations (created_at, id);
   CREATE INDEX escalations_by_status ON escalations (status, created_at, id);
   CREATE INDEX escalations_by_call ON escalations (call_id);
   CREATE TABLE escalation_changes (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     escalation_id TEXT NOT NULL,
     status TEXT NOT NULL,
     at INTEGER NOT NULL
   );
   CREATE INDEX calls_by_start ON calls (created_at, operator_id, call_id, updated_at);
   CREATE INDEX history_adherence ON history (call_id, seq, type, source, at, prompts)
     WHERE type IN ('call.hold', 'call.unhold', 'hold.check', 'customer.repeat-request', 'customer.cannot-hear', 'customer.inaudible', 'customer.profanity', 'customer.unknown-topic', 'customer.contact-refused');`,
  // Webhooks (SPEC §7, src/webhooks/): endpoints, the outbox (n: commit order, the order a
  // pair's messages are delivered in) and the log of attempts. As PostgreSQL's 0005.
  `CREATE TABLE webhook_endpoints (
     id TEXT PRIMARY KEY,
     url TEXT NOT NULL,
     types TEXT,
     description TEXT,
     secret TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     disabled_at INTEGER,
     disabled_reason TEXT
   );
   CREATE TABLE webhook_messages (
     n INTEGER PRIMARY KEY,
     id TEXT NOT NULL UNIQUE,
     endpoint_id TEXT NOT NULL,
     call_id TEXT NOT NULL,
     type TEXT NOT NULL,
     body TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     status TEXT NOT NULL,
     attempts INTEGER NOT NULL,
     round_start INTEGER NOT NULL,
     due_at INTEGER NOT NULL,
     finished_at INTEGER
   );
   CREATE INDEX webhook_messages_pending_by_pair ON webhook_messages (endpoint_id, call_id, n) WHERE status = 'pending';
   CREATE INDEX webhook_messages_pending_by_due ON webhook_messages (due_at) WHERE status = 'pending';
   CREATE INDEX webhook_messages_by_endpoint ON webhook_messages (endpoint_id, n);
   CREATE TABLE webhook_attempts (
     message_id TEXT NOT NULL,
     attempt INTEGER NOT NULL,
     at INTEGER NOT NULL,
     status_code INTEGER,
     error TEXT,
     duration_ms INTEGER NOT NULL,
     PRIMARY KEY (message_id, attempt)
   );`,
  // Operating it (SPEC §10, src/operations/): the erasure log and ended calls by end time, as
  // PostgreSQL's 0007.
  `CREATE TABLE erasures (
     id TEXT PRIMARY KEY,
     call_id TEXT NOT NULL,
     reason TEXT NOT NULL,
     at INTEGER NOT NULL,
     kinds TEXT NOT NULL,
     requested_by TEXT
   );
   CREATE INDEX erasures_newest ON erasures (at, id);
   CREATE INDEX erasures_by_call ON erasures (call_id, at);
   CREATE INDEX calls_ended_by_time ON calls (updated_at) WHERE status = 'ended';`,
];

export interface SqliteOptions {
  synchronous?: 'NORMAL' | 'FULL';
}

/** The SQLite store, with what only SQLite has. */
export interface SqliteStore extends CallStore {
  /** Caps the database at this many pages (sqlite-probe.ts); tests simulate a full disk with it. */
  maxPageCount(pages: number): Promise<number>;
}

export async function openSqliteStore(location: string, options: SqliteOptions = {}): Promise<SqliteStore> {
  const inMemory = location === ':memory:';
  if (!inMemory) ensureWritableDirectory(location);
  const synchronous = options.synchronous ?? 'NORMAL';
  const db = openDatabase(location);
  configureConnection(db, synchronous);
  // Checkpoints run on a worker thread (sqlite-checkpointer.ts), not inside a commit.
  const checkpointer = inMemory ? null : startCheckpointer(location);
  if (checkpointer) db.pragma('wal_autocheckpoint = 0');
  migrate(db);
  // One process owns a SQLite file: claims left by a previous (crashed) process are void.
  db.prepare('UPDATE jobs SET locked_until = 0 WHERE locked_until <> 0').run();
  let writer: Writer;
  try {
    writer = inMemory ? inThreadWriter(db) : await startWriterThread({ location, synchronous });
  } catch (error) {
    await checkpointer?.stop();
    db.close();
    throw error;
  }
  const transactions = new TransactionBatch((list) => writer.call({ method: 'transactions', args: [list] }));

  // This connection only reads (WAL readers never wait for the writer); a read after a commit
  // was acknowledged sees it.
  const sql = {
    getCall: db.prepare('SELECT * FROM calls WHERE call_id = ?'),
    history: db.prepare('SELECT * FROM history WHERE call_id = ? AND seq > ? ORDER BY seq'),
    findEvent: db.prepare('SELECT * FROM history WHERE call_id = ? AND event_id = ?'),
    eventIds: db
      .prepare('SELECT event_id FROM history WHERE call_id = ? AND event_id IS NOT NULL ORDER BY seq')
      .pluck(),
    // Unclaimed rows by due time; claimed ones come back when their lease ends.
    nextDue: db.prepare(
      `SELECT MIN(due) AS due FROM (
         SELECT MIN(due_at) AS due FROM jobs WHERE locked_until = 0
         UNION ALL SELECT MIN(locked_until) FROM jobs WHERE locked_until > 0)`,
    ),
    count: db.prepare('SELECT COUNT(*) AS n FROM calls WHERE status = ?'),
  };

  const reads = new Map<string, Database.Statement>();
  const readStatement = (text: string) => {
    let stmt = reads.get(text);
    if (!stmt) {
      stmt = db.prepare(text);
      reads.set(text, stmt);
    }
    return stmt;
  };

  return {
    kind: 'sqlite',
    shared: false,
    maxConcurrentCommits: writer.concurrency,
    async watch() {},
    async commit(changes) {
      if (changes.length === 0) return [];
      return writer.commit(changes.map(toWriteOp));
    },
    async getCall(callId) {
      const row = sql.getCall.get(callId) as Row | undefined;
      return row ? toCall(row, parseJson) : null;
    },
    async listCalls(query: ListQuery) {
      const where: string[] = [];
      const params: unknown[] = [];
      if (query.status) {
        where.push('status = ?');
        params.push(query.status);
      }
      if (query.operatorId) {
        where.push('operator_id = ?');
        params.push(query.operatorId);
      }
      if (query.cursor) {
        where.push('call_id > ?');
        params.push(query.cursor);
      }
      const rows = db
        .prepare(`SELECT * FROM calls ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY call_id LIMIT ?`)
        .all(...params, query.limit) as Row[];
      return rows.map((row) => toCall(row, parseJson));
    },
    async history(callId, afterSeq = 0) {
      return (sql.history.all(callId, afterSeq) as Row[]).map((row) => toHistory(row, parseJson));
    },
    async eventIds(callId) {
      return sql.eventIds.all(callId) as string[];
    },
    async findEvent(callId, eventId) {
      const row = sql.findEvent.get(callId, eventId) as Row | undefined;
      return row ? toHistory(row, parseJson) : null;
    },
    async claimDueTimers(now, limit, leaseMs) {
      const rows = await writer.call({ method: 'claimDue', args: [now, limit, leaseMs] });
      return rows.map((row) => toTimer(row, parseJson)).sort((a, b) => a.dueAt - b.dueAt);
    },
    async scheduleJob(job, mode) {
      await writer.call({
        method: 'scheduleJob',
        args: [[job.callId, job.timerId, job.name, job.dueAt, JSON.stringify(job.event)], mode],
      });
    },
    async finishJob(job) {
      return writer.call({ method: 'finishJob', args: [job.callId, job.timerId, job.dueAt] });
    },
    async retryJob(job, dueAt) {
      return writer.call({ method: 'retryJob', args: [job.callId, job.timerId, job.dueAt, dueAt] });
    },
    async query(text, params = []) {
      return readStatement(text).all(...params) as Row[];
    },
    async transaction(statements) {
      return transactions.submit(statements);
    },
    // One process owns the file: every change is its own, and it tells its subscribers itself.
    async listen() {
      return () => {};
    },
    async nextTimerDue() {
      const row = sql.nextDue.get() as { due: number | null };
      return row.due;
    },
    async countCalls(status: CallStatus) {
      return (sql.count.get(status) as { n: number }).n;
    },
    async ping() {
      writer.check();
      db.prepare('SELECT 1').get();
      // Readable is not enough: a full disk still reads (the health probes with this while down).
      await writer.probe();
    },
    async scrub() {
      if (inMemory) return true;
      // A PASSIVE checkpoint of the checkpointer thread may hold the lock for a moment.
      for (let attempt = 0; attempt < 5; attempt++) {
        if ((await writer.call({ method: 'truncateWal', args: [] })).busy === 0) return true;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return false;
    },
    maxPageCount: (pages) => writer.maxPageCount(pages),
    async close() {
      await writer.close();
      await checkpointer?.stop();
      if (db.open) {
        db.pragma('wal_checkpoint(TRUNCATE)');
        db.close();
      }
    },
  };
}

/**
 * The file's directory exists (it is created) and can be written: otherwise a clear message at
 * start, as for a bad variable (exit 2), instead of SQLite's "unable to open database file".
 */
function ensureWritableDirectory(location: string): void {
  const dir = resolve(dirname(location));
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    if (existsSync(location)) accessSync(location, constants.R_OK | constants.W_OK);
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    throw new ConfigError(
      `DATABASE_URL names a SQLite file in "${dir}", which cannot be created or written (${code ?? (error as Error).message})`,
    );
  }
}

function openDatabase(location: string): Database.Database {
  try {
    return new Database(location);
  } catch (error) {
    const { code } = error as { code?: string };
    if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY') {
      throw new ConfigError(
        `DATABASE_URL names a SQLite file that cannot be opened for writing: ${location} (${code})`,
      );
    }
    throw error;
  }
}

function migrate(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version),
  );
  MIGRATIONS.forEach((statements, index) => {
    const version = index + 1;
    if (applied.has(version)) return;
    db.transaction(() => {
      db.exec(statements);
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(version, Date.now());
    }).immediate();
  });
}
