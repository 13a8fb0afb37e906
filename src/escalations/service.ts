/**
 * Escalations (SPEC §8): created with the `customer.unknown-topic` change that raises them (the
 * same transaction, through the call service's contribution), then acknowledged and resolved by a
 * supervisor, each transition a conditional update in one transaction with its change-log row
 * (and its webhook messages, when webhooks are there). Local subscribers of the stream are woken
 * after each commit of this process; other nodes' commits arrive as store notifications.
 */
import { EscalationConflict, EscalationNotFound, InvalidQuery } from '../errors.js';
import type { CallStore, Change, JobRow, Statement } from '../store/types.js';
import type { EscalationMetrics } from './metrics.js';
import { insertEscalation, SQL, toChange, toEscalation, transition } from './rows.js';
import type { Escalation, EscalationStatus } from './schema.js';
import type { ChangeSource, EscalationChange } from './stream.js';

/** The PostgreSQL channel the change log's trigger notifies (migration 0006). */
export const ESCALATION_CHANNEL = 'callflow_escalation';

export type EscalationMessageType = 'escalation.created' | 'escalation.updated';

/** Webhook messages written in the escalation's own transactions (src/webhooks, when present). */
export interface EscalationOutbox {
  enqueue(message: { type: EscalationMessageType; callId: string; data: Escalation; at: number }): {
    statements: Statement[];
    jobs: JobRow[];
  };
  /** After a transaction of our own with enqueue's statements committed. */
  enqueued(jobs: JobRow[]): Promise<void>;
}

export interface EscalationServiceOptions {
  now?: () => number;
  metrics?: EscalationMetrics;
  outbox?: EscalationOutbox | null;
}

/** Where each transition may start from. Resolve from open is allowed: a supervisor may settle
 *  a question at once, without acknowledging it first (acknowledgedAt then stays null). */
const TRANSITIONS = {
  acknowledge: { to: 'acknowledged', from: ['open'] },
  resolve: { to: 'resolved', from: ['open', 'acknowledged'] },
} as const satisfies Record<string, { to: EscalationStatus; from: readonly EscalationStatus[] }>;

export interface ListOptions {
  status?: EscalationStatus;
  callId?: string;
  limit: number;
  cursor?: string;
}

export class EscalationService implements ChangeSource {
  private readonly listeners = new Set<() => void>();
  private readonly now: () => number;
  private readonly metrics: EscalationMetrics | undefined;
  outbox: EscalationOutbox | null;

  constructor(
    private readonly store: CallStore,
    options: EscalationServiceOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.metrics = options.metrics;
    this.outbox = options.outbox ?? null;
  }

  /**
   * The call service's contribution: a change whose actions carry escalations writes them (and
   * their webhook messages) with it. Returns what to do once the change is committed.
   */
  contribute(change: Change): (() => void) | undefined {
    if (change.kind !== 'event') return undefined;
    const raised = change.call.actions.filter((action) => action.type === 'supervisor.escalation' && action.id);
    if (raised.length === 0) return undefined;
    const at = change.history.at;
    change.sideWrites ??= [];
    change.ensureJobs ??= [];
    const writes = change.sideWrites;
    const jobs = change.ensureJobs;
    for (const action of raised) {
      const escalation: Escalation = {
        id: action.id as string,
        callId: change.call.callId,
        operatorId: change.call.operatorId,
        topic: action.topic,
        status: 'open',
        createdAt: new Date(at).toISOString(),
        acknowledgedAt: null,
        acknowledgedBy: null,
        resolvedAt: null,
        resolvedBy: null,
        resolution: null,
      };
      writes.push(...insertEscalation({ ...escalation, createdAt: at }));
      if (this.outbox) {
        const messages = this.outbox.enqueue({
          type: 'escalation.created',
          callId: escalation.callId,
          data: escalation,
          at,
        });
        writes.push(...messages.statements);
        jobs.push(...messages.jobs);
      }
    }
    return () => {
      this.metrics?.changed('open', raised.length);
      this.changed();
    };
  }

  async get(id: string): Promise<Escalation> {
    const [row] = await this.store.query(SQL.get, [id]);
    if (!row) throw new EscalationNotFound(id);
    return toEscalation(row);
  }

  async list(options: ListOptions): Promise<{ escalations: Escalation[]; nextCursor: string | null }> {
    const after = options.cursor === undefined ? null : decodeCursor(options.cursor);
    const params: (string | number)[] = [];
    if (options.status) params.push(options.status);
    if (options.callId) params.push(options.callId);
    if (after) params.push(after.createdAt, after.createdAt, after.id);
    params.push(options.limit + 1);
    const sql = SQL.list({ status: !!options.status, callId: !!options.callId, cursor: !!after });
    const rows = await this.store.query(sql, params);
    const escalations = rows.slice(0, options.limit).map(toEscalation);
    const last = escalations.at(-1);
    return {
      escalations,
      nextCursor: rows.length > options.limit && last ? encodeCursor(Date.parse(last.createdAt), last.id) : null,
    };
  }

  acknowledge(id: string, by: string): Promise<Escalation> {
    return this.move(id, 'acknowledge', by, null);
  }

  resolve(id: string, by: string, resolution: string): Promise<Escalation> {
    return this.move(id, 'resolve', by, resolution);
  }

  async head(): Promise<number> {
    const [row] = await this.store.query(SQL.head);
    return row?.seq === null || row?.seq === undefined ? 0 : Number(row.seq);
  }

  async changesAfter(seq: number, limit: number): Promise<EscalationChange[]> {
    return (await this.store.query(SQL.changesAfter, [seq, limit])).map(toChange);
  }

  onChange(wake: () => void): () => void {
    this.listeners.add(wake);
    return () => this.listeners.delete(wake);
  }

  async countOpen(): Promise<number> {
    const [row] = await this.store.query(SQL.countOpen);
    return Number(row?.n ?? 0);
  }

  /** The log may have grown (a commit here, or another node's notification): wake the streams. */
  changed(): void {
    for (const wake of this.listeners) wake();
  }

  get subscriberCount(): number {
    return this.listeners.size;
  }

  private async move(
    id: string,
    name: keyof typeof TRANSITIONS,
    by: string,
    resolution: string | null,
  ): Promise<Escalation> {
    const { to, from } = TRANSITIONS[name];
    const current = await this.get(id);
    if (!(from as readonly EscalationStatus[]).includes(current.status)) {
      throw new EscalationConflict(id, current.status, name);
    }
    const at = this.now();
    const time = new Date(at).toISOString();
    const next: Escalation =
      to === 'acknowledged'
        ? { ...current, status: to, acknowledgedAt: time, acknowledgedBy: by }
        : { ...current, status: to, resolvedAt: time, resolvedBy: by, resolution };
    const statements = transition(id, to, from, at, by, resolution);
    const messages = this.outbox?.enqueue({ type: 'escalation.updated', callId: current.callId, data: next, at });
    const result = await this.store.transaction([...statements, ...(messages?.statements ?? [])]);
    if (!result.ok) {
      // Moved on meanwhile (another supervisor, another node): say what it is now.
      const now = await this.get(id);
      throw new EscalationConflict(id, now.status, name);
    }
    this.metrics?.changed(to);
    this.changed();
    if (messages?.jobs.length) await this.outbox?.enqueued(messages.jobs);
    return next;
  }
}

/** The cursor is opaque to clients: base64url of the last row's [createdAt, id]. */
function encodeCursor(createdAt: number, id: string): string {
  return Buffer.from(JSON.stringify([createdAt, id])).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: number; id: string } {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      Number.isSafeInteger(value[0]) &&
      typeof value[1] === 'string' &&
      value[1].length > 0
    ) {
      return { createdAt: value[0] as number, id: value[1] as string };
    }
  } catch {
    // falls through to the error below
  }
  throw new InvalidQuery('query.cursor is not a cursor this service gave out');
}
