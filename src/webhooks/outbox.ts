/**
 * The transactional outbox (SPEC §7): a message is a row written in the same store transaction
 * as the change that causes it, so a change that got a 2xx always has its messages (across a
 * crash) and a refused or failed one has none. Each message row belongs to one endpoint; a
 * delivery job per (endpoint, call) sends that pair's messages one at a time, oldest first
 * (delivery.ts).
 *
 * For other capabilities (escalations): `app.webhooks.enqueue({ type, callId, data, at? })`
 * returns `{ statements, jobs }` for the subscribed endpoints of that type (none: both empty).
 * - Inside a call's change (a `app.calls.contribute` callback): push `statements` onto
 *   `change.sideWrites` and `jobs` onto `change.ensureJobs`.
 * - In a transaction of your own: `await app.store.transaction([...yours, ...statements])`,
 *   then `await app.webhooks.enqueued(jobs)` (wakes the delivery workers; the statements have
 *   already scheduled the jobs, so a crash in between loses nothing).
 * `data` is the message's `data` (for escalations, the escalation of SPEC §8); the body is
 * `{type, timestamp: at, data}`. Messages of one call and endpoint are delivered in the order
 * their transactions committed.
 */
import { randomBytes } from 'node:crypto';
import type { CallView } from '../calls/view.js';
import type { Change, JobRow, Statement } from '../store/types.js';
import type { CallMessageData, WebhookType } from './schemas.js';

/** The job task that delivers one (endpoint, call) pair's messages. */
export const DELIVERY_TASK = 'webhook.delivery';
const JOB_KEY_PREFIX = 'webhook:';

export const deliveryJobKey = (endpointId: string) => `${JOB_KEY_PREFIX}${endpointId}`;
export const endpointOfJob = (job: Pick<JobRow, 'timerId'>) =>
  job.timerId.startsWith(JOB_KEY_PREFIX) ? job.timerId.slice(JOB_KEY_PREFIX.length) : null;

export function deliveryJob(endpointId: string, callId: string, dueAt: number): JobRow {
  return {
    callId,
    timerId: deliveryJobKey(endpointId),
    name: DELIVERY_TASK,
    dueAt,
    event: { type: DELIVERY_TASK, endpointId },
  };
}

/**
 * A message id: the time in ms, this process's random tag and a counter, all hex. Unique across
 * nodes (the tag), and increasing within a process, so the store's unique index on it grows at
 * one end instead of taking every insert at a random page (measured: about a third of the
 * insert's cost), and no random bytes are drawn per message. The id is not a secret: the
 * signature is what a receiver trusts.
 */
const PROCESS_TAG = randomBytes(6).toString('hex');
let sequence = 0;
export const newMessageId = () =>
  `msg_${Date.now().toString(16).padStart(11, '0')}${PROCESS_TAG}${(sequence++ % 0x100000000).toString(16).padStart(8, '0')}`;

/** One row of the outbox. `body` is the exact text that is signed and sent on every attempt. */
export interface OutboxMessage {
  id: string;
  endpointId: string;
  callId: string;
  type: WebhookType;
  body: string;
  createdAt: number;
}

export interface Enqueued {
  statements: Statement[];
  jobs: JobRow[];
}

/** The endpoints a message of a type goes to (the registry's in-memory list: no read per change). */
export interface Subscribers {
  subscribedTo(type: WebhookType): readonly { id: string }[];
  /** False when no active endpoint takes any type: a change then skips the outbox at once. */
  any(): boolean;
}

export function messageBody(type: WebhookType, at: number, data: unknown): string {
  return JSON.stringify({ type, timestamp: new Date(at).toISOString(), data });
}

/** The call messages of a change: created, or updated (every applied event) plus ended when it ends the call. */
export function callMessages(
  change: Change,
  view: CallView,
): { type: WebhookType; at: number; data: CallMessageData }[] {
  if (change.kind === 'create') {
    const at = change.call.createdAt;
    const event = { seq: 0, id: null, type: 'call.created', source: 'api', at: new Date(at).toISOString() };
    return [{ type: 'call.created', at, data: { call: view, event } }];
  }
  const h = change.history;
  const event = { seq: h.seq, id: h.eventId, type: h.type, source: h.source, at: new Date(h.at).toISOString() };
  const data = { call: view, event };
  const messages: { type: WebhookType; at: number; data: CallMessageData }[] = [
    { type: 'call.updated', at: h.at, data },
  ];
  // Only a change that ends it: a later event of an ended call is refused anyway.
  if (change.call.status === 'ended') messages.push({ type: 'call.ended', at: h.at, data });
  return messages;
}

/** Rows for the endpoints subscribed to each message; the body is serialised once per message. */
export function outboxRows(
  subscribers: Subscribers,
  callId: string,
  messages: { type: WebhookType; at: number; data: unknown }[],
): OutboxMessage[] {
  const rows: OutboxMessage[] = [];
  for (const message of messages) {
    const endpoints = subscribers.subscribedTo(message.type);
    if (endpoints.length === 0) continue;
    const body = messageBody(message.type, message.at, message.data);
    for (const endpoint of endpoints) {
      rows.push({
        id: newMessageId(),
        endpointId: endpoint.id,
        callId,
        type: message.type,
        body,
        createdAt: message.at,
      });
    }
  }
  return rows;
}

/** One delivery job per (endpoint, call) pair of the rows, due when the first of them was written. */
export function jobsFor(rows: OutboxMessage[]): JobRow[] {
  const jobs = new Map<string, JobRow>();
  for (const row of rows) {
    const key = `${row.endpointId}\u0000${row.callId}`;
    if (!jobs.has(key)) jobs.set(key, deliveryJob(row.endpointId, row.callId, row.createdAt));
  }
  return [...jobs.values()];
}

const INSERT_MESSAGE = `INSERT INTO webhook_messages (id, endpoint_id, call_id, type, body, created_at, status, attempts, round_start, due_at)
  VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, 0, ?)`;
export const ENSURE_JOB = `INSERT INTO jobs (call_id, timer_id, name, due_at, event, locked_until) VALUES (?, ?, ?, ?, ?, 0)
  ON CONFLICT (call_id, timer_id) DO NOTHING`;

/**
 * The statements that write rows (and, with `withJobs`, their jobs) on one kind of store.
 *
 * PostgreSQL: one call of callflow_webhook_enqueue (migration 0005), which takes each pair's
 * advisory lock before it inserts and schedules, as the delivery job's last step does before it
 * deletes the job (delivery.ts): the two never interleave, so a message committed while its
 * pair's job is finishing is never left without a job. It always schedules the jobs, after the
 * lock. SQLite: every write runs on one writer, one transaction at a time, so plain inserts do;
 * inside a change the jobs are the change's `ensureJobs`.
 */
export function outboxStatements(kind: 'sqlite' | 'postgres', rows: OutboxMessage[], withJobs: boolean): Statement[] {
  if (rows.length === 0) return [];
  if (kind === 'postgres') {
    const payload = rows.map((r) => ({
      id: r.id,
      endpoint_id: r.endpointId,
      call_id: r.callId,
      type: r.type,
      body: r.body,
      created_at: r.createdAt,
    }));
    return [{ sql: 'SELECT callflow_webhook_enqueue(?::json)', params: [JSON.stringify(payload)] }];
  }
  const statements: Statement[] = rows.map((r) => ({
    sql: INSERT_MESSAGE,
    params: [r.id, r.endpointId, r.callId, r.type, r.body, r.createdAt, r.createdAt],
  }));
  if (withJobs) {
    for (const job of jobsFor(rows)) {
      statements.push({
        sql: ENSURE_JOB,
        params: [job.callId, job.timerId, job.name, job.dueAt, JSON.stringify(job.event)],
      });
    }
  }
  return statements;
}

/** The outbox's part of every call change (registered with app.calls.contribute). */
export function contributeCallMessages(kind: 'sqlite' | 'postgres', subscribers: Subscribers) {
  return ({ change, view }: { change: Change; view: CallView }): void => {
    if (!subscribers.any()) return;
    // escalation.created comes from the escalations capability's own part of the same change
    // (src/escalations/service.ts, through app.webhooks.enqueue).
    const rows = outboxRows(subscribers, change.call.callId, callMessages(change, view));
    if (rows.length === 0) return;
    change.sideWrites = [...(change.sideWrites ?? []), ...outboxStatements(kind, rows, false)];
    change.ensureJobs = [...(change.ensureJobs ?? []), ...jobsFor(rows)];
  };
}
