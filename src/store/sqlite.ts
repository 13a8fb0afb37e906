/**
 * The embedded default store: SQLite in WAL mode through better-sqlite3 (synchronous, so a
 * whole batch of changes is one BEGIN IMMEDIATE transaction with a savepoint per change).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { parseJson, type Row, toCall, toHistory, toTimer } from './rows.js';
import { startCheckpointer } from './sqlite-checkpointer.js';
import type {
  CallRecord,
  CallStatus,
  CallStore,
  Change,
  CommitOutcome,
  CreateChange,
  EventChange,
  HistoryEntry,
  ListQuery,
} from './types.js';

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
];

/** Raised inside a change's savepoint to roll just that change back. */
class ChangeConflict extends Error {}

export interface SqliteOptions {
  synchronous?: 'NORMAL' | 'FULL';
}

export function openSqliteStore(location: string, options: SqliteOptions = {}): CallStore {
  if (location !== ':memory:') mkdirSync(dirname(location), { recursive: true });
  const db = new Database(location);
  db.pragma('journal_mode = WAL');
  // NORMAL in WAL mode: a commit is in the OS before we answer, so kill -9 loses nothing;
  // only power loss can drop the last commits (docs/adr/0002). FULL trades speed for that.
  db.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`);
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  // Checkpoints run on a worker thread (sqlite-checkpointer.ts), not inside a commit.
  const checkpointer = location === ':memory:' ? null : startCheckpointer(location);
  if (checkpointer) db.pragma('wal_autocheckpoint = 0');
  // After a burst the WAL file is cut back to this size once checkpointed.
  db.pragma('journal_size_limit = 67108864');
  migrate(db);
  // One process owns a SQLite file: claims left by a previous (crashed) process are void.
  db.prepare('UPDATE timers SET locked_until = 0 WHERE locked_until <> 0').run();

  const sql = {
    insertCall: db.prepare(
      `INSERT INTO calls (call_id, status, version, locale, snapshot, prompts, actions, timers, create_fingerprint, created_at, updated_at)
       VALUES (@callId, @status, @version, @locale, @snapshot, @prompts, @actions, @timers, @createFingerprint, @createdAt, @updatedAt)
       ON CONFLICT (call_id) DO NOTHING`,
    ),
    updateCall: db.prepare(
      `UPDATE calls SET status = @status, version = @version, snapshot = @snapshot, prompts = @prompts,
         actions = @actions, timers = @timers, updated_at = @updatedAt
       WHERE call_id = @callId AND version = @expectedVersion`,
    ),
    insertHistory: db.prepare(
      `INSERT INTO history (call_id, seq, event_id, fingerprint, type, data, source, at, status, snapshot, prompts, actions, timers)
       VALUES (@callId, @seq, @eventId, @fingerprint, @type, @data, @source, @at, @status, @snapshot, @prompts, @actions, @timers)
       ON CONFLICT DO NOTHING`,
    ),
    deleteFiredTimer: db.prepare('DELETE FROM timers WHERE call_id = ? AND timer_id = ? AND due_at = ?'),
    deleteTimer: db.prepare('DELETE FROM timers WHERE call_id = ? AND timer_id = ?'),
    upsertTimer: db.prepare(
      `INSERT INTO timers (call_id, timer_id, name, due_at, event, locked_until) VALUES (?, ?, ?, ?, ?, 0)
       ON CONFLICT (call_id, timer_id) DO UPDATE SET name = excluded.name, due_at = excluded.due_at,
         event = excluded.event, locked_until = 0`,
    ),
    getCall: db.prepare('SELECT * FROM calls WHERE call_id = ?'),
    history: db.prepare('SELECT * FROM history WHERE call_id = ? AND seq > ? ORDER BY seq'),
    findEvent: db.prepare('SELECT * FROM history WHERE call_id = ? AND event_id = ?'),
    eventIds: db
      .prepare('SELECT event_id FROM history WHERE call_id = ? AND event_id IS NOT NULL ORDER BY seq')
      .pluck(),
    claimDue: db.prepare(
      `UPDATE timers SET locked_until = @leaseUntil
       WHERE rowid IN (SELECT rowid FROM timers WHERE due_at <= @now AND locked_until <= @now ORDER BY due_at LIMIT @limit)
       RETURNING call_id, timer_id, name, due_at, event`,
    ),
    // Unclaimed rows by due time; claimed ones come back when their lease ends.
    nextDue: db.prepare(
      `SELECT MIN(due) AS due FROM (
         SELECT MIN(due_at) AS due FROM timers WHERE locked_until = 0
         UNION ALL SELECT MIN(locked_until) FROM timers WHERE locked_until > 0)`,
    ),
    count: db.prepare('SELECT COUNT(*) AS n FROM calls WHERE status = ?'),
  };

  function writeCreate(change: CreateChange): void {
    if (sql.insertCall.run(callParams(change.call)).changes !== 1) throw new ChangeConflict();
  }

  function writeEvent(change: EventChange): void {
    const { call } = change;
    if (change.firedTimer) {
      const { timerId, dueAt } = change.firedTimer;
      if (sql.deleteFiredTimer.run(call.callId, timerId, dueAt).changes !== 1) throw new ChangeConflict();
    }
    const callRow = callParams(call);
    const updated = sql.updateCall.run({ ...callRow, expectedVersion: change.expectedVersion });
    if (updated.changes !== 1) throw new ChangeConflict();
    if (sql.insertHistory.run(historyParams(change.history, call, callRow)).changes !== 1) throw new ChangeConflict();
    for (const timerId of change.cancelTimers) sql.deleteTimer.run(call.callId, timerId);
    for (const t of change.armTimers) {
      sql.upsertTimer.run(t.callId, t.timerId, t.name, t.dueAt, JSON.stringify(t.event));
    }
  }

  const writeChange = (change: Change) => (change.kind === 'create' ? writeCreate(change) : writeEvent(change));
  // Fast path: the whole batch in one transaction. Conflicts are rare on a private store (the
  // service serialises each call), so only a batch that has one is written again change by
  // change, each in its own savepoint, for the others to commit.
  const writeAll = db.transaction((changes: Change[]) => {
    for (const change of changes) writeChange(change);
  });
  const writeOne = db.transaction(writeChange);
  const writeEach = db.transaction((changes: Change[]): CommitOutcome[] =>
    changes.map((change) => {
      try {
        writeOne(change); // nested: a savepoint, rolled back alone on conflict
        return 'ok';
      } catch (error) {
        if (error instanceof ChangeConflict) return 'conflict';
        throw error;
      }
    }),
  );

  return {
    kind: 'sqlite',
    shared: false,
    maxConcurrentCommits: 1,
    async watch() {},
    async commit(changes) {
      if (changes.length === 0) return [];
      try {
        writeAll.immediate(changes);
        return changes.map(() => 'ok' as const);
      } catch (error) {
        if (!(error instanceof ChangeConflict)) throw error;
        return writeEach.immediate(changes);
      }
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
      const rows = sql.claimDue.all({ now, limit, leaseUntil: now + leaseMs }) as Row[];
      return rows.map((row) => toTimer(row, parseJson)).sort((a, b) => a.dueAt - b.dueAt);
    },
    async nextTimerDue() {
      const row = sql.nextDue.get() as { due: number | null };
      return row.due;
    },
    async countCalls(status: CallStatus) {
      return (sql.count.get(status) as { n: number }).n;
    },
    async ping() {
      db.prepare('SELECT 1').get();
    },
    async close() {
      await checkpointer?.stop();
      if (db.open) {
        db.pragma('wal_checkpoint(TRUNCATE)');
        db.close();
      }
    },
  };
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

function callParams(call: CallRecord) {
  return {
    callId: call.callId,
    status: call.status,
    version: call.version,
    locale: call.locale,
    snapshot: JSON.stringify(call.snapshot),
    prompts: JSON.stringify(call.prompts),
    actions: JSON.stringify(call.actions),
    timers: JSON.stringify(call.timers),
    createFingerprint: call.createFingerprint,
    createdAt: call.createdAt,
    updatedAt: call.updatedAt,
  };
}

/** The history row of an event; JSON it shares with its call row is not serialised twice. */
function historyParams(entry: HistoryEntry, call: CallRecord, callRow: ReturnType<typeof callParams>) {
  const same = <K extends 'snapshot' | 'prompts' | 'actions' | 'timers'>(key: K) =>
    entry[key] === call[key] ? callRow[key] : JSON.stringify(entry[key]);
  return {
    callId: entry.callId,
    seq: entry.seq,
    eventId: entry.eventId,
    fingerprint: entry.fingerprint,
    type: entry.type,
    data: JSON.stringify(entry.data),
    source: entry.source,
    at: entry.at,
    status: entry.status,
    snapshot: same('snapshot'),
    prompts: same('prompts'),
    actions: same('actions'),
    timers: same('timers'),
  };
}
