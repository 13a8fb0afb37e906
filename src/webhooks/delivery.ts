/**
 * Delivery: the `webhook.delivery` job of an (endpoint, call) pair sends that pair's pending
 * messages one at a time, oldest first, so a call's messages reach an endpoint in version order
 * and a message being retried holds back only the later ones of its own pair.
 *
 * The job worker (src/jobs) claims a due job and calls `handle`, which returns at once: the pair
 * then runs as a "lane" here, within a bounded number of attempts at once per endpoint and in
 * all (limiter.ts), so a slow or dead endpoint never holds up the job worker (hold checks), the
 * event path or other endpoints. A lane owns its job row by a lease token: it sets the row's
 * `locked_until` to a value of its own, long enough for an attempt (the worker's claim may be
 * shorter than the 10 s timeout), renewed by every write, and every write is conditional on it.
 * A node killed mid-delivery leaves a lease that runs out; another node then claims the job and
 * sends the message again (the only case where a receiver sees a duplicate).
 *
 * A lane ends by one transaction: the attempt logged, the message's new status, and the job
 * deleted unless another message of the pair is pending, or moved to the retry time. On
 * PostgreSQL that last step takes the pair's advisory lock, as the outbox's insert does
 * (outbox.ts), so a message committed meanwhile either is seen by it or schedules a new job.
 */
import type { CallStore, JobRow, Row, Statement, TransactionResult } from '../store/types.js';
import type { EndpointRecord, EndpointRegistry } from './endpoints.js';
import { KeyedLimiter } from './limiter.js';
import { deliveryJob, endpointOfJob } from './outbox.js';
import { decide } from './retry-policy.js';
import type { AttemptResult, Sender } from './sender.js';
import { signedHeaders } from './signing.js';

/**
 * How much longer than the attempt's timeout a lane's lease lasts (the writes around it): as
 * long as the timeout, at least 5 s. It is also how soon a killed node's delivery is taken over.
 */
const leaseMarginMs = (timeoutMs: number) => Math.max(5_000, timeoutMs);

export interface DeliveryHooks {
  attempted?(result: AttemptResult, outcome: 'delivered' | 'retry' | 'failed' | 'disabled'): void;
}

export interface DeliveryOptions {
  store: CallStore;
  endpoints: EndpointRegistry;
  sender: Sender;
  retryScheduleMs: readonly number[];
  timeoutMs: number;
  /** The job worker's claim lease: a claim is ours if its lease ends no later than claim time + this. */
  claimLeaseMs: number;
  /** Wakes the local job worker for a job moved to `dueAt`. */
  scheduled(dueAt: number): void;
  perEndpoint: number;
  total: number;
  now?: () => number;
  hooks?: DeliveryHooks;
  onError?(error: unknown): void;
}

interface Claim {
  job: JobRow;
  /** When this process learnt of the claim (its lease ends no later than this + claimLeaseMs). */
  claimedAt: number;
}

interface Lane extends Claim {
  key: string;
  endpointId: string;
  started: boolean;
  /** A claim of the same job that came while the lane ran (it had moved the job and not yet let go). */
  next: Claim | null;
}

interface Pending {
  id: string;
  body: string;
  attempts: number;
  roundStart: number;
}

const SQL = {
  takeLease: `UPDATE jobs SET locked_until = ? WHERE call_id = ? AND timer_id = ? AND due_at = ? AND locked_until <= ?`,
  renewLease: 'UPDATE jobs SET locked_until = ? WHERE call_id = ? AND timer_id = ? AND locked_until = ?',
  releaseLease: 'UPDATE jobs SET locked_until = 0 WHERE call_id = ? AND timer_id = ? AND locked_until = ?',
  retryAt: 'UPDATE jobs SET due_at = ?, locked_until = 0 WHERE call_id = ? AND timer_id = ? AND locked_until = ?',
  deleteJob: 'DELETE FROM jobs WHERE call_id = ? AND timer_id = ? AND locked_until = ?',
  deleteJobUnlessPending: `DELETE FROM jobs WHERE call_id = ? AND timer_id = ? AND locked_until = ?
    AND NOT EXISTS (SELECT 1 FROM webhook_messages WHERE endpoint_id = ? AND call_id = ? AND status = 'pending')`,
  oldestPending: `SELECT id, body, attempts, round_start FROM webhook_messages
    WHERE endpoint_id = ? AND call_id = ? AND status = 'pending' ORDER BY n LIMIT 1`,
  logAttempt:
    'INSERT INTO webhook_attempts (message_id, attempt, at, status_code, error, duration_ms) VALUES (?, ?, ?, ?, ?, ?)',
  finishMessage: `UPDATE webhook_messages SET status = ?, attempts = ?, finished_at = ? WHERE id = ? AND status = 'pending'`,
  backOffMessage: `UPDATE webhook_messages SET attempts = ?, due_at = ? WHERE id = ? AND status = 'pending'`,
  failPair: `UPDATE webhook_messages SET status = 'failed', finished_at = ? WHERE endpoint_id = ? AND call_id = ? AND status = 'pending'`,
  dropPair: 'DELETE FROM webhook_messages WHERE endpoint_id = ? AND call_id = ?',
  orphanPairs: `SELECT m.endpoint_id, m.call_id, MIN(m.due_at) AS due_at FROM webhook_messages m
    WHERE m.status = 'pending'
      AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.call_id = m.call_id AND j.timer_id = 'webhook:' || m.endpoint_id)
    GROUP BY m.endpoint_id, m.call_id`,
} as const;

export class Deliveries {
  private readonly lanes = new Map<string, Lane>();
  private readonly limiter: KeyedLimiter;
  private readonly running = new Set<Promise<void>>();
  private readonly stopping = new AbortController();
  private readonly now: () => number;
  private readonly leaseMs: number;
  private closing = false;

  constructor(private readonly options: DeliveryOptions) {
    this.limiter = new KeyedLimiter(options.perEndpoint, options.total);
    this.now = options.now ?? Date.now;
    this.leaseMs = options.timeoutMs + leaseMarginMs(options.timeoutMs);
  }

  /** The job worker's handler: starts (or queues) the pair's lane and returns at once. */
  handle(job: JobRow): void {
    this.take({ job, claimedAt: this.now() });
  }

  get activeLanes(): number {
    return this.lanes.size;
  }

  /**
   * Pending messages whose pair has no job (none should: a defence against a row written by
   * hand or an older version) get one, at start.
   */
  async reconcile(): Promise<number> {
    const rows = await this.options.store.query(SQL.orphanPairs);
    for (const row of rows) {
      const job = deliveryJob(String(row.endpoint_id), String(row.call_id), Number(row.due_at));
      await this.options.store.scheduleJob(job, 'keep');
      this.options.scheduled(job.dueAt);
    }
    return rows.length;
  }

  /**
   * Stops: no new attempt starts; attempts in flight get `graceMs` to finish, then are aborted
   * (not logged: the message stays pending), and every lease held is released for another node.
   */
  async stop(graceMs: number): Promise<void> {
    if (this.stopping.signal.aborted) return;
    const abort = setTimeout(() => this.stopping.abort(), graceMs);
    this.closing = true;
    await Promise.all([...this.running]);
    clearTimeout(abort);
    this.stopping.abort();
  }

  private take(claim: Claim): void {
    if (this.closing) return; // the row comes back after its lease
    const endpointId = endpointOfJob(claim.job);
    if (endpointId === null) {
      void this.options.store.finishJob(claim.job).catch((error) => this.options.onError?.(error));
      return;
    }
    const key = `${claim.job.callId}\u0000${claim.job.timerId}`;
    const lane = this.lanes.get(key);
    if (lane) {
      // Claimed again: while the lane waits for a slot, the newer claim is the one to take; once
      // it runs, the lane moved the job itself and this claim is of its next turn.
      if (lane.started) lane.next = claim;
      else Object.assign(lane, claim);
      return;
    }
    const fresh: Lane = { ...claim, key, endpointId, started: false, next: null };
    this.lanes.set(key, fresh);
    const run = this.limiter
      .run(endpointId, () => this.runLane(fresh).catch((error) => this.options.onError?.(error)))
      .then(() => {
        this.lanes.delete(key);
        this.running.delete(run);
        if (fresh.next) this.take(fresh.next);
      });
    this.running.add(run);
  }

  private async runLane(lane: Lane): Promise<void> {
    if (this.closing) return;
    lane.started = true;
    const { store } = this.options;
    const { callId, timerId } = lane.job;
    let token: number;
    /** The pair's oldest pending message as last read; undefined: read it again. */
    let message: Pending | null | undefined;
    const claimed = lane.job.lockedUntil;
    if (claimed !== undefined && claimed - this.now() >= this.leaseMs) {
      // The worker's claim still has an attempt's lease left: the lane holds the job by it, and
      // the first write (renewing it) fails if the claim was lost. No write of its own first.
      token = claimed;
      message = undefined;
    } else {
      // Claimed long ago (the lane waited for a slot): a lease of its own, and the pair's first
      // message, in one round trip.
      token = this.now() + this.leaseMs;
      const taken = await store.transaction([
        {
          sql: SQL.takeLease,
          params: [
            token,
            callId,
            timerId,
            lane.job.dueAt,
            Math.max(this.now(), lane.claimedAt + this.options.claimLeaseMs),
          ],
          expectChanges: 1,
        },
        this.nextPending(lane.endpointId, callId),
      ]);
      if (!taken.ok) return; // moved, finished or taken by another node meanwhile
      message = pendingOf(taken);
    }

    for (;;) {
      if (this.closing) {
        await store.transaction([{ sql: SQL.releaseLease, params: [callId, timerId, token] }]);
        return;
      }
      const endpoint = await this.options.endpoints.find(lane.endpointId);
      if (!endpoint || endpoint.disabledAt !== null) {
        // Deleted (its messages went with it; these were written by a node that had not heard
        // yet) or disabled (nothing more is sent): the pair's messages end here.
        const now = this.now();
        await store.transaction([
          ...this.pairLock(lane.endpointId, callId),
          endpoint
            ? { sql: SQL.failPair, params: [now, lane.endpointId, callId] }
            : { sql: SQL.dropPair, params: [lane.endpointId, callId] },
          { sql: SQL.deleteJob, params: [callId, timerId, token] },
        ]);
        return;
      }
      if (message === undefined) message = await this.oldestPending(lane.endpointId, callId);
      if (!message) {
        const renewed = this.now() + this.leaseMs;
        const result = await store.transaction([
          ...this.pairLock(lane.endpointId, callId),
          { sql: SQL.renewLease, params: [renewed, callId, timerId, token], expectChanges: 1 },
          { sql: SQL.deleteJobUnlessPending, params: [callId, timerId, renewed, lane.endpointId, callId] },
        ]);
        if (!result.ok || lastChanges(result) === 1) return;
        token = renewed; // a message came meanwhile
        message = undefined;
        continue;
      }
      const next = await this.attempt(lane, endpoint, message, token);
      if (next === null) return;
      ({ token, message } = next);
    }
  }

  /**
   * One attempt and its record; the lane's next lease token with the next message (undefined:
   * not known), or null when the lane is done.
   */
  private async attempt(
    lane: Lane,
    endpoint: EndpointRecord,
    message: Pending,
    token: number,
  ): Promise<{ token: number; message: Pending | null | undefined } | null> {
    const { store, sender } = this.options;
    const { callId, timerId } = lane.job;
    const attempt = message.attempts + 1;
    const at = this.now();
    const headers = signedHeaders(endpoint.key, message.id, Math.floor(at / 1000), message.body);
    const result = await sender.attempt(endpoint.url, headers, message.body, this.stopping.signal);
    if (this.stopping.signal.aborted && result.statusCode === null) {
      // Cut short by the shutdown: not an attempt of the receiver's making. Another node (or
      // this one after its restart) sends it again.
      await store.transaction([{ sql: SQL.releaseLease, params: [callId, timerId, token] }]);
      return null;
    }
    const now = this.now();
    const decision = decide(result, attempt - message.roundStart, this.options.retryScheduleMs, now);
    const logged: Statement = {
      sql: SQL.logAttempt,
      params: [message.id, attempt, at, result.statusCode, result.error, result.durationMs],
    };
    const renewed = now + this.leaseMs;
    let statements: Statement[];
    switch (decision.kind) {
      case 'delivered':
      case 'failed':
        statements = [
          ...this.pairLock(lane.endpointId, callId),
          { sql: SQL.renewLease, params: [renewed, callId, timerId, token], expectChanges: 1 },
          {
            sql: SQL.finishMessage,
            params: [decision.kind, attempt, now, message.id],
            expectChanges: 1,
          },
          logged,
          { sql: SQL.deleteJobUnlessPending, params: [callId, timerId, renewed, lane.endpointId, callId] },
          // Kept (a later message is pending): that message, read in the same round trip.
          this.nextPending(lane.endpointId, callId),
        ];
        break;
      case 'retry':
        statements = [
          { sql: SQL.retryAt, params: [now + decision.delayMs, callId, timerId, token], expectChanges: 1 },
          { sql: SQL.backOffMessage, params: [attempt, now + decision.delayMs, message.id], expectChanges: 1 },
          logged,
        ];
        break;
      case 'disable':
        statements = [
          ...this.pairLock(lane.endpointId, callId),
          { sql: SQL.deleteJob, params: [callId, timerId, token], expectChanges: 1 },
          { sql: SQL.finishMessage, params: ['failed', attempt, now, message.id], expectChanges: 1 },
          logged,
          ...this.options.endpoints.disableStatements(lane.endpointId, 'The receiver answered 410 Gone', now),
        ];
        break;
    }
    const offset = decision.kind === 'retry' ? 0 : this.pairLock(lane.endpointId, callId).length;
    const written = await store.transaction(statements);
    if (!written.ok) {
      // The lease was lost (the lane stops; whoever holds the job now sends the message), or the
      // message is no longer pending (its endpoint was disabled or deleted meanwhile: look again).
      return written.failedAt === offset ? null : { token, message: undefined };
    }
    this.options.hooks?.attempted?.(result, decision.kind === 'disable' ? 'disabled' : decision.kind);
    switch (decision.kind) {
      case 'retry':
        this.options.scheduled(now + decision.delayMs);
        return null;
      case 'disable':
        this.options.endpoints.disabled(lane.endpointId, 'The receiver answered 410 Gone', now);
        return null;
      default: {
        const deleted = (written.results.at(-2)?.changes ?? 0) === 1;
        return deleted ? null : { token: renewed, message: pendingOf(written) };
      }
    }
  }

  /** The pair's oldest pending message, as the last statement of a transaction (pendingOf reads it). */
  private nextPending(endpointId: string, callId: string): Statement {
    return { sql: SQL.oldestPending, params: [endpointId, callId] };
  }

  private async oldestPending(endpointId: string, callId: string): Promise<Pending | null> {
    const [row] = await this.options.store.query(SQL.oldestPending, [endpointId, callId]);
    return row ? toPending(row) : null;
  }

  /** PostgreSQL: the pair's advisory lock, as callflow_webhook_enqueue takes it. SQLite writes one transaction at a time. */
  private pairLock(endpointId: string, callId: string): Statement[] {
    return this.options.store.kind === 'postgres'
      ? [{ sql: 'SELECT pg_advisory_xact_lock(hashtext(?), hashtext(?))', params: [endpointId, callId] }]
      : [];
  }
}

function lastChanges(result: TransactionResult): number {
  return result.ok ? (result.results.at(-1)?.changes ?? 0) : 0;
}

/** The row of a transaction's last statement (nextPending) as a message, or null. */
function pendingOf(result: TransactionResult): Pending | null {
  const row = result.ok ? result.results.at(-1)?.rows[0] : undefined;
  return row ? toPending(row) : null;
}

function toPending(row: Row): Pending {
  return {
    id: String(row.id),
    body: String(row.body),
    attempts: Number(row.attempts),
    roundStart: Number(row.round_start),
  };
}
