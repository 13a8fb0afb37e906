/**
 * Every write of the SQLite store, on one connection: commits of changes and timer claims.
 * Changes cross to it as flat rows of strings and numbers (`toWriteOp`, on the caller's
 * thread), so the same code runs in-thread (`:memory:`) or on the writer thread
 * (sqlite-writer.ts) and a message to that thread is cheap to copy.
 */
import type Database from 'better-sqlite3';
import type { Row } from './rows.js';
import { type SerializedError, serializeError } from './thread-errors.js';
import type { CallRecord, Change, CommitOutcome, JobRow, Statement, TransactionResult } from './types.js';

type CallRow = [
  callId: string,
  status: string,
  version: number,
  locale: string,
  snapshot: string,
  prompts: string,
  actions: string,
  timers: string,
  createFingerprint: string,
  createdAt: number,
  updatedAt: number,
  operatorId: string | null,
  scriptVersion: number,
];

type HistoryRow = [
  callId: string,
  seq: number,
  eventId: string | null,
  fingerprint: string | null,
  type: string,
  data: string,
  source: string,
  at: number,
  status: string,
];

/** The call as it stood at the history row: snapshot, prompts, actions, timers (JSON). */
type StateColumns = [snapshot: string, prompts: string, actions: string, timers: string];

type TimerArm = [callId: string, timerId: string, name: string, dueAt: number, event: string];

/** Rows a change writes besides its call's own: jobs to schedule if absent, other capabilities' statements. */
interface SideRows {
  ensure: TimerArm[];
  side: Statement[];
}

export type WriteOp =
  | ({ kind: 'create'; call: CallRow } & SideRows)
  | ({
      kind: 'event';
      call: CallRow;
      expectedVersion: number;
      history: HistoryRow;
      /** Null: the call row's own (the usual case), which then crosses to the writer thread once. */
      historyState: StateColumns | null;
      arm: TimerArm[];
      cancel: string[];
      fired: [timerId: string, dueAt: number] | null;
    } & SideRows);

/** A change as the rows it writes (JSON serialised once; a history row refers to its call row's). */
export function toWriteOp(change: Change): WriteOp {
  const call = callRow(change.call);
  const sideRows: SideRows = {
    ensure: (change.ensureJobs ?? []).map(jobArm),
    side: change.sideWrites ?? [],
  };
  if (change.kind === 'create') return { kind: 'create', call, ...sideRows };
  const h = change.history;
  const sameState =
    h.snapshot === change.call.snapshot &&
    h.prompts === change.call.prompts &&
    h.actions === change.call.actions &&
    h.timers === change.call.timers;
  return {
    kind: 'event',
    call,
    expectedVersion: change.expectedVersion,
    history: [h.callId, h.seq, h.eventId, h.fingerprint, h.type, JSON.stringify(h.data), h.source, h.at, h.status],
    historyState: sameState
      ? null
      : [JSON.stringify(h.snapshot), JSON.stringify(h.prompts), JSON.stringify(h.actions), JSON.stringify(h.timers)],
    arm: change.armTimers.map(jobArm),
    cancel: change.cancelTimers,
    fired: change.firedTimer ? [change.firedTimer.timerId, change.firedTimer.dueAt] : null,
    ...sideRows,
  };
}

function jobArm(t: JobRow): TimerArm {
  return [t.callId, t.timerId, t.name, t.dueAt, JSON.stringify(t.event)];
}

function callRow(call: CallRecord): CallRow {
  return [
    call.callId,
    call.status,
    call.version,
    call.locale,
    JSON.stringify(call.snapshot),
    JSON.stringify(call.prompts),
    JSON.stringify(call.actions),
    JSON.stringify(call.timers),
    call.createFingerprint,
    call.createdAt,
    call.updatedAt,
    call.operatorId,
    call.scriptVersion,
  ];
}

export interface Writes {
  commit(ops: WriteOp[]): CommitOutcome[];
  /** Claims due jobs for `leaseMs`; rows as stored (see rows.ts toTimer). */
  claimDue(now: number, limit: number, leaseMs: number): Row[];
  scheduleJob(job: TimerArm, mode: 'replace' | 'keep'): void;
  finishJob(callId: string, key: string, dueAt: number): boolean;
  retryJob(callId: string, key: string, dueAt: number, nextDueAt: number): boolean;
  transaction(statements: Statement[]): TransactionResult;
  /**
   * Several capabilities' transactions in one commit, each in a savepoint of its own: one that
   * fails (an expectation, a constraint) is rolled back alone and answered alone. An error that
   * ends the whole transaction (SQLITE_FULL, an I/O error) throws, for every one of them.
   */
  transactions(list: Statement[][]): BatchedTransaction[];
  /** Copies the WAL into the database and truncates it to 0 bytes (busy: a reader kept it). */
  truncateWal(): { busy: number };
}

/** The Writes methods other than commit, callable by name across the writer thread. */
export type WriteCall = {
  [K in Exclude<keyof Writes, 'commit'>]: { method: K; args: Parameters<Writes[K]> };
}[Exclude<keyof Writes, 'commit'>];

/** One transaction's answer in a batch: its result, or the error it alone raised. */
export type BatchedTransaction = { ok: true; result: TransactionResult } | { ok: false; error: SerializedError };

/** Raised inside a change's savepoint to roll just that change back. */
class ChangeConflict extends Error {}

/** Raised to roll a capability's transaction back when a statement changed other than expected. */
class StatementExpectation extends Error {
  constructor(readonly failedAt: number) {
    super(`statement ${failedAt} changed an unexpected number of rows`);
  }
}

export function prepareWrites(db: Database.Database): Writes {
  const sql = {
    insertCall: db.prepare(
      `INSERT INTO calls (call_id, status, version, locale, snapshot, prompts, actions, timers, create_fingerprint, created_at, updated_at, operator_id, script_version)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (call_id) DO NOTHING`,
    ),
    // Status apart: setting it, even to the same value, rewrites its index entry (a page of
    // WAL per event); it changes once per call.
    updateCall: db.prepare(
      `UPDATE calls SET version = ?, snapshot = ?, prompts = ?, actions = ?, timers = ?, updated_at = ?
       WHERE call_id = ? AND version = ?`,
    ),
    updateStatus: db.prepare('UPDATE calls SET status = ? WHERE call_id = ? AND status <> ?'),
    insertHistory: db.prepare(
      `INSERT INTO history (call_id, seq, event_id, fingerprint, type, data, source, at, status, snapshot, prompts, actions, timers)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT DO NOTHING`,
    ),
    deleteFiredTimer: db.prepare('DELETE FROM jobs WHERE call_id = ? AND timer_id = ? AND due_at = ?'),
    deleteTimer: db.prepare('DELETE FROM jobs WHERE call_id = ? AND timer_id = ?'),
    upsertTimer: db.prepare(
      `INSERT INTO jobs (call_id, timer_id, name, due_at, event, locked_until) VALUES (?, ?, ?, ?, ?, 0)
       ON CONFLICT (call_id, timer_id) DO UPDATE SET name = excluded.name, due_at = excluded.due_at,
         event = excluded.event, locked_until = 0`,
    ),
    ensureJob: db.prepare(
      `INSERT INTO jobs (call_id, timer_id, name, due_at, event, locked_until) VALUES (?, ?, ?, ?, ?, 0)
       ON CONFLICT (call_id, timer_id) DO NOTHING`,
    ),
    retryJob: db.prepare(
      'UPDATE jobs SET due_at = ?, locked_until = 0 WHERE call_id = ? AND timer_id = ? AND due_at = ?',
    ),
    // Free rows and rows whose lease ran out, each arm an ordered range of jobs_by_lease_due,
    // merged by due time. A plain `due_at <= now AND locked_until <= now` walks jobs_by_due
    // through every leased row that is due (a webhook delivery in flight, a black-hole
    // endpoint's pairs): 270 µs a claim at 2,000 leased rows against 38 µs (measured).
    claimDue: db.prepare(
      `UPDATE jobs SET locked_until = @leaseUntil
       WHERE rowid IN (SELECT id FROM (
         SELECT rowid AS id, due_at FROM jobs WHERE locked_until = 0 AND due_at <= @now
         UNION ALL
         SELECT rowid, due_at FROM jobs WHERE locked_until > 0 AND locked_until <= @now AND due_at <= @now
         ORDER BY due_at LIMIT @limit))
       RETURNING call_id, timer_id, name, due_at, event, locked_until`,
    ),
  };
  // Other capabilities' statements, prepared once per text.
  const prepared = new Map<string, Database.Statement>();
  const statement = (sql: string) => {
    let stmt = prepared.get(sql);
    if (!stmt) {
      stmt = db.prepare(sql);
      prepared.set(sql, stmt);
    }
    return stmt;
  };
  const runStatement = (s: Statement) => {
    const stmt = statement(s.sql);
    const params = (s.params ?? []) as unknown[];
    if (stmt.reader) {
      const rows = stmt.all(...params) as Row[];
      return { changes: rows.length, rows };
    }
    return { changes: stmt.run(...params).changes, rows: [] as Row[] };
  };
  function writeSide(op: SideRows): void {
    for (const arm of op.ensure) sql.ensureJob.run(arm);
    for (const s of op.side) runStatement(s);
  }

  function write(op: WriteOp): void {
    if (op.kind === 'create') {
      if (sql.insertCall.run(op.call).changes !== 1) throw new ChangeConflict();
      writeSide(op);
      return;
    }
    const callId = op.call[0];
    if (op.fired && sql.deleteFiredTimer.run(callId, op.fired[0], op.fired[1]).changes !== 1) {
      throw new ChangeConflict();
    }
    const [, status, version, , snapshot, prompts, actions, timers, , , updatedAt] = op.call;
    const updated = sql.updateCall.run(
      version,
      snapshot,
      prompts,
      actions,
      timers,
      updatedAt,
      callId,
      op.expectedVersion,
    );
    if (updated.changes !== 1) throw new ChangeConflict();
    sql.updateStatus.run(status, callId, status);
    const state = op.historyState ?? [snapshot, prompts, actions, timers];
    if (sql.insertHistory.run(...op.history, ...state).changes !== 1) throw new ChangeConflict();
    for (const timerId of op.cancel) sql.deleteTimer.run(callId, timerId);
    for (const arm of op.arm) sql.upsertTimer.run(arm);
    writeSide(op);
  }

  // Fast path: the whole batch in one transaction. Conflicts are rare on a private store (the
  // service serialises each call), so only a batch that has one is written again change by
  // change, each in its own savepoint, for the others to commit.
  const writeAll = db.transaction((ops: WriteOp[]) => {
    for (const op of ops) write(op);
  });
  const writeOne = db.transaction(write);
  const runTransaction = db.transaction((statements: Statement[]): TransactionResult => {
    const results: { changes: number; rows: Row[] }[] = [];
    for (const [i, s] of statements.entries()) {
      const result = runStatement(s);
      if (s.expectChanges !== undefined && result.changes !== s.expectChanges) {
        // Thrown to roll the transaction back; caught below by the caller of transaction().
        throw new StatementExpectation(i);
      }
      results.push(result);
    }
    return { ok: true, results };
  });
  const runTransactions = db.transaction((list: Statement[][]): BatchedTransaction[] =>
    list.map((statements) => {
      try {
        return { ok: true, result: runTransaction(statements) }; // nested: a savepoint
      } catch (error) {
        // SQLite ended the outer transaction itself: nothing of the batch can commit.
        if (!db.inTransaction) throw error;
        if (error instanceof StatementExpectation) return { ok: true, result: { ok: false, failedAt: error.failedAt } };
        return { ok: false, error: serializeError(error) };
      }
    }),
  );
  const writeEach = db.transaction((ops: WriteOp[]): CommitOutcome[] =>
    ops.map((op) => {
      try {
        writeOne(op); // nested: a savepoint, rolled back alone on conflict
        return 'ok';
      } catch (error) {
        if (error instanceof ChangeConflict) return 'conflict';
        throw error;
      }
    }),
  );

  return {
    commit(ops) {
      if (ops.length === 0) return [];
      try {
        writeAll.immediate(ops);
        return ops.map(() => 'ok' as const);
      } catch (error) {
        if (!(error instanceof ChangeConflict)) throw error;
        return writeEach.immediate(ops);
      }
    },
    claimDue(now, limit, leaseMs) {
      return sql.claimDue.all({ now, limit, leaseUntil: now + leaseMs }) as Row[];
    },
    scheduleJob(job, mode) {
      (mode === 'replace' ? sql.upsertTimer : sql.ensureJob).run(job);
    },
    finishJob(callId, key, dueAt) {
      return sql.deleteFiredTimer.run(callId, key, dueAt).changes === 1;
    },
    retryJob(callId, key, dueAt, nextDueAt) {
      return sql.retryJob.run(nextDueAt, callId, key, dueAt).changes === 1;
    },
    truncateWal() {
      const [result] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      return { busy: result?.busy ?? 0 };
    },
    transaction(statements) {
      try {
        return runTransaction.immediate(statements);
      } catch (error) {
        if (error instanceof StatementExpectation) return { ok: false, failedAt: error.failedAt };
        throw error;
      }
    },
    transactions(list) {
      return runTransactions.immediate(list);
    },
  };
}

/** Pragmas of every connection to the store's file (the writer thread opens its own). */
export function configureConnection(db: Database.Database, synchronous: 'NORMAL' | 'FULL'): void {
  db.pragma('journal_mode = WAL');
  // NORMAL in WAL mode: a commit is in the OS before we answer, so kill -9 loses nothing;
  // only power loss can drop the last commits (docs/adr/0002). FULL trades speed for that.
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  // After a burst the WAL file is cut back to this size once checkpointed. Per connection, and
  // it takes effect on the connection that writes (the writer thread's).
  db.pragma('journal_size_limit = 67108864');
  // Freed space (a rewritten or deleted row's old bytes) is overwritten with zeros, so an erased
  // name leaves no copy in the database file (docs/adr/0009-erasure-on-disk.md, measured there).
  db.pragma('secure_delete = ON');
}
