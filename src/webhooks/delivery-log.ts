/**
 * The delivery log of an endpoint (SPEC §7): each message, newest first, with its attempts
 * (time, status code or error code, duration), and the manual retry of a failed one. Message
 * bodies stay out of it: they hold the customer's name, and the call view is one GET away.
 */
import type { CallStore, Row, Statement } from '../store/types.js';
import { deliveryJob, ENSURE_JOB } from './outbox.js';
import type { Delivery, MessageStatus, WebhookType } from './schemas.js';

const SQL = {
  one: 'SELECT * FROM webhook_messages WHERE id = ? AND endpoint_id = ?',
  attemptsOf: (count: number) =>
    `SELECT message_id, attempt, at, status_code, error, duration_ms FROM webhook_attempts
     WHERE message_id IN (${Array.from({ length: count }, () => '?').join(', ')}) ORDER BY message_id, attempt`,
  retry: `UPDATE webhook_messages SET status = 'pending', round_start = attempts, due_at = ?, finished_at = NULL
    WHERE id = ? AND endpoint_id = ? AND status = 'failed'`,
  oldestDue: `SELECT MIN(due_at) AS due FROM webhook_messages WHERE status = 'pending' AND due_at <= ?`,
  pendingCount: `SELECT COUNT(*) AS n FROM webhook_messages WHERE status = 'pending'`,
} as const;

export interface DeliveryPage {
  deliveries: Delivery[];
  nextCursor: string | null;
}

export type RetryOutcome =
  | { kind: 'retried'; delivery: Delivery }
  | { kind: 'not-found' }
  | { kind: 'not-failed'; status: MessageStatus };

export class DeliveryLog {
  constructor(
    private readonly store: CallStore,
    /** Wakes the local job worker for a job due at `dueAt`. */
    private readonly wake: (dueAt: number) => void = () => {},
  ) {}

  async list(
    endpointId: string,
    query: { status?: MessageStatus; limit: number; cursor?: string },
  ): Promise<DeliveryPage> {
    const where = ['endpoint_id = ?'];
    const params: (string | number)[] = [endpointId];
    if (query.status) {
      where.push('status = ?');
      params.push(query.status);
    }
    if (query.cursor) {
      where.push('n < ?');
      params.push(Number(query.cursor));
    }
    params.push(query.limit + 1);
    const rows = await this.store.query(
      `SELECT n, id, type, call_id, status, created_at, due_at, finished_at FROM webhook_messages
       WHERE ${where.join(' AND ')} ORDER BY n DESC LIMIT ?`,
      params,
    );
    const page = rows.slice(0, query.limit);
    const deliveries = await this.withAttempts(page);
    const last = page.at(-1);
    return { deliveries, nextCursor: rows.length > query.limit && last ? String(last.n) : null };
  }

  async get(endpointId: string, messageId: string): Promise<Delivery | null> {
    const [row] = await this.store.query(SQL.one, [messageId, endpointId]);
    if (!row) return null;
    const [delivery] = await this.withAttempts([row]);
    return delivery ?? null;
  }

  /**
   * A failed message back to pending, its retry schedule started afresh, and its pair's job
   * scheduled if there is none. It goes out once the earlier messages of its call allow (the
   * next one at once when the pair is idle). PostgreSQL: under the pair's lock, as the outbox.
   */
  async retry(endpointId: string, messageId: string, now: number): Promise<RetryOutcome> {
    const [row] = await this.store.query(SQL.one, [messageId, endpointId]);
    if (!row) return { kind: 'not-found' };
    if (row.status !== 'failed') return { kind: 'not-failed', status: row.status as MessageStatus };
    const callId = String(row.call_id);
    const job = deliveryJob(endpointId, callId, now);
    const lock: Statement[] =
      this.store.kind === 'postgres'
        ? [{ sql: 'SELECT pg_advisory_xact_lock(hashtext(?), hashtext(?))', params: [endpointId, callId] }]
        : [];
    const result = await this.store.transaction([
      ...lock,
      { sql: SQL.retry, params: [now, messageId, endpointId], expectChanges: 1 },
      { sql: ENSURE_JOB, params: [job.callId, job.timerId, job.name, job.dueAt, JSON.stringify(job.event)] },
    ]);
    if (!result.ok) {
      const current = await this.get(endpointId, messageId);
      return current ? { kind: 'not-failed', status: current.status } : { kind: 'not-found' };
    }
    // Wakes the job workers (PostgreSQL: every node's); the row is there already.
    await this.store.scheduleJob(job, 'keep');
    this.wake(job.dueAt);
    const delivery = await this.get(endpointId, messageId);
    return delivery ? { kind: 'retried', delivery } : { kind: 'not-found' };
  }

  /** Age of the oldest message that is due and not yet delivered (0 when none): the backlog. */
  async backlogSeconds(now: number): Promise<number> {
    const [row] = await this.store.query(SQL.oldestDue, [now]);
    const due = row?.due;
    return due === null || due === undefined ? 0 : Math.max(0, now - Number(due)) / 1000;
  }

  async pending(): Promise<number> {
    const [row] = await this.store.query(SQL.pendingCount);
    return Number(row?.n ?? 0);
  }

  private async withAttempts(rows: Row[]): Promise<Delivery[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => String(r.id));
    const attempts = await this.store.query(SQL.attemptsOf(ids.length), ids);
    const byMessage = new Map<string, Delivery['attempts']>();
    for (const a of attempts) {
      const list = byMessage.get(String(a.message_id)) ?? [];
      list.push({
        at: new Date(Number(a.at)).toISOString(),
        statusCode: a.status_code === null || a.status_code === undefined ? null : Number(a.status_code),
        error: (a.error as string | null) ?? null,
        durationMs: Number(a.duration_ms),
      });
      byMessage.set(String(a.message_id), list);
    }
    return rows.map((r) => ({
      id: String(r.id),
      type: r.type as WebhookType,
      callId: String(r.call_id),
      status: r.status as MessageStatus,
      createdAt: new Date(Number(r.created_at)).toISOString(),
      nextAttemptAt: r.status === 'pending' ? new Date(Number(r.due_at)).toISOString() : null,
      finishedAt:
        r.finished_at === null || r.finished_at === undefined ? null : new Date(Number(r.finished_at)).toISOString(),
      attempts: byMessage.get(String(r.id)) ?? [],
    }));
  }
}
