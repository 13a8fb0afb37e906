/**
 * The one storage contract every backend implements (SQLite, PostgreSQL). The contract test
 * suite in test/store runs unchanged against each of them.
 */
import type { PromptKey } from '../../machines/call.machine.js';
import type { Effect, PersistedCall } from '../../machines/call.runtime.js';
import type { Locale } from '../../machines/catalogue.js';

export type CallStatus = 'active' | 'ended';
export type EventSource = 'api' | 'timer' | 'transcript';

/**
 * A durable job (src/jobs/): a row due at `dueAt` (epoch ms), claimed with a lease and run by
 * the job worker. `name` is its task: a call's delayed machine event (the hold check) has the
 * timer's name and is fired through the event path; other tasks (webhook deliveries, idle
 * calls, retention) name their handler. `(callId, timerId)` is the job's key, so arming the
 * same key again is a reschedule; jobs that belong to no call use callId "".
 */
export interface TimerRow {
  callId: string;
  timerId: string;
  name: string;
  dueAt: number;
  event: { type: string } & Record<string, unknown>;
  /**
   * On a row from claimDueTimers: when the claim's lease ends (the row's `locked_until`). A
   * handler that holds the job by its lease (webhook delivery) writes conditionally on it.
   */
  lockedUntil?: number;
}

/** A job of any task: the same row. */
export type JobRow = TimerRow;

/**
 * One SQL statement for a capability's own tables, with `?` placeholders (the PostgreSQL store
 * numbers them). Portable SQL only: both stores run the same text.
 */
export interface Statement {
  sql: string;
  params?: readonly SqlValue[];
  /** The whole transaction is rolled back (outcome `conflict`) unless exactly this many rows changed. */
  expectChanges?: number;
}

export type SqlValue = string | number | null;

export type TransactionResult =
  | { ok: true; results: { changes: number; rows: Row[] }[] }
  | { ok: false; failedAt: number };

export type Row = Record<string, unknown>;

/** A call as it stands after its latest applied event. */
export interface CallRecord {
  callId: string;
  status: CallStatus;
  version: number;
  locale: Locale;
  snapshot: PersistedCall;
  /** Prompt keys and effects of the latest applied event (or the greeting for version 0). */
  prompts: PromptKey[];
  actions: Effect[];
  timers: Pick<TimerRow, 'timerId' | 'name' | 'dueAt'>[];
  /** Canonical JSON of the create request: the same body again is an idempotent replay. */
  createFingerprint: string;
  createdAt: number;
  updatedAt: number;
  /** The operator handling the call (SPEC §8), set at create. */
  operatorId: string | null;
  /** The script version the call started with (SPEC §11); every prompt renders from it. */
  scriptVersion: number;
}

/** One applied event; with `snapshot` etc. it is also the call as it stood at `seq`. */
export interface HistoryEntry {
  callId: string;
  seq: number;
  eventId: string | null;
  /** Canonical JSON of `{type, data}`: the same event id with another body is a conflict. */
  fingerprint: string | null;
  type: string;
  data: Record<string, unknown>;
  source: EventSource;
  at: number;
  status: CallStatus;
  snapshot: PersistedCall;
  prompts: PromptKey[];
  actions: Effect[];
  timers: Pick<TimerRow, 'timerId' | 'name' | 'dueAt'>[];
}

/** Everything one applied event writes, committed atomically or not at all. */
export interface EventChange {
  kind: 'event';
  call: CallRecord;
  /** The version the change was computed from; someone else moved it on: conflict. */
  expectedVersion: number;
  history: HistoryEntry;
  armTimers: TimerRow[];
  cancelTimers: string[];
  /** A timer firing: the change holds only if this very timer row is still there. */
  firedTimer?: { timerId: string; dueAt: number };
  /** Other jobs this change schedules if absent (a webhook delivery, the idle check). */
  ensureJobs?: JobRow[];
  /** Rows of other capabilities written with the change (outbox messages, escalations). */
  sideWrites?: Statement[];
}

export interface CreateChange {
  kind: 'create';
  call: CallRecord;
  ensureJobs?: JobRow[];
  sideWrites?: Statement[];
}

export type Change = EventChange | CreateChange;

/**
 * `ok`: written. `conflict`: nothing written, because the call moved on (version), already
 * exists (create), the event id is taken (idempotency) or the fired timer is gone.
 */
export type CommitOutcome = 'ok' | 'conflict';

export interface ListQuery {
  status?: CallStatus;
  operatorId?: string;
  limit: number;
  /** Opaque: the last call id of the previous page. */
  cursor?: string;
}

/** What other processes sharing the store did (PostgreSQL LISTEN/NOTIFY). */
export interface RemoteHandlers {
  change(callId: string, version: number): void;
  timerArmed(dueAt: number): void;
  /** A script version was published (SPEC §11); null: some may have been missed, look again. */
  scriptPublished?(version: number | null): void;
}

export interface CallStore {
  readonly kind: 'sqlite' | 'postgres';
  /** True when other processes may write the same calls: cached state must be re-read before
   *  it is trusted for a refusal, and reads go to the store. */
  readonly shared: boolean;
  /** How many commit batches may be in flight at once (1 for a synchronous driver). */
  readonly maxConcurrentCommits: number;
  /** Starts delivering other processes' changes and timer arms; a no-op for a private store. */
  watch(handlers: RemoteHandlers): Promise<void>;
  /** Writes the changes, each atomically; a batch shares one transaction where it can. */
  commit(changes: Change[]): Promise<CommitOutcome[]>;
  getCall(callId: string): Promise<CallRecord | null>;
  listCalls(query: ListQuery): Promise<CallRecord[]>;
  history(callId: string, afterSeq?: number): Promise<HistoryEntry[]>;
  findEvent(callId: string, eventId: string): Promise<HistoryEntry | null>;
  /** Every idempotency key used on the call so far (a private store's service keeps them). */
  eventIds(callId: string): Promise<string[]>;
  /** Due timers (dueAt <= now), claimed for `leaseMs` so other nodes skip them meanwhile. */
  claimDueTimers(now: number, limit: number, leaseMs: number): Promise<TimerRow[]>;
  /** The earliest dueAt of any unclaimed timer, or null. */
  nextTimerDue(): Promise<number | null>;
  countCalls(status: CallStatus): Promise<number>;
  /** Schedules a job outside any change: `replace` moves an existing one (and frees its claim), `keep` leaves it. */
  scheduleJob(job: JobRow, mode: 'replace' | 'keep'): Promise<void>;
  /** Deletes a claimed job that ran, unless it was rescheduled meanwhile (its dueAt moved). */
  finishJob(job: Pick<JobRow, 'callId' | 'timerId' | 'dueAt'>): Promise<boolean>;
  /** Moves a claimed job to `dueAt` and frees its claim, unless it was rescheduled meanwhile. */
  retryJob(job: Pick<JobRow, 'callId' | 'timerId' | 'dueAt'>, dueAt: number): Promise<boolean>;
  /** Reads a capability's own tables (SQLite: on the reading connection). */
  query(sql: string, params?: readonly SqlValue[]): Promise<Row[]>;
  /** Writes a capability's own tables, all statements or none (SQLite: on the writer). */
  transaction(statements: Statement[]): Promise<TransactionResult>;
  /**
   * Other processes' notifications on a capability's own channel (PostgreSQL NOTIFY, e.g. sent
   * by a trigger of its tables), from now until the returned function is called. `payload` is
   * null after the connection was lost and restored: notifications may have been missed, so
   * look at the tables again. A private store has no other processes: a no-op.
   */
  listen(channel: string, onNotify: (payload: string | null) => void): Promise<() => void>;
  /**
   * After rows were rewritten to erase data (SPEC §10): makes their old bytes leave the store's
   * files where the store holds them (SQLite: a TRUNCATE checkpoint of the WAL). Absent where
   * the rewrite alone is the contract (PostgreSQL). False: the WAL could not be truncated now.
   */
  scrub?(): Promise<boolean>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
