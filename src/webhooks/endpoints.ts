/**
 * Webhook endpoints (subscriptions): stored rows, and the list kept in memory so that a change
 * finds its subscribers without a read. The list is loaded at start, refreshed by this process's
 * own create, delete and disable, and on PostgreSQL by a notification on WEBHOOK_CHANNEL sent in
 * the same transaction, so every node sees a new endpoint as soon as it is committed.
 */
import { randomBytes } from 'node:crypto';
import { InvalidBody } from '../errors.js';
import type { CallStore, Row, Statement } from '../store/types.js';
import { checkDestination, checkUrlForm } from './address-policy.js';
import type { CreateEndpointInput, Endpoint, EndpointSummary, WebhookType } from './schemas.js';
import { WEBHOOK_TYPES } from './schemas.js';
import { newSecret, secretBytes } from './signing.js';

export const WEBHOOK_CHANNEL = 'callflow_webhooks';

/** An endpoint as the service uses it. */
export interface EndpointRecord {
  id: string;
  url: string;
  /** Null: every type, also types added later. */
  types: WebhookType[] | null;
  description: string | null;
  secret: string;
  /** The secret's bytes, the HMAC key. */
  key: Buffer;
  createdAt: number;
  disabledAt: number | null;
  disabledReason: string | null;
}

const SQL = {
  all: 'SELECT * FROM webhook_endpoints ORDER BY created_at, id',
  one: 'SELECT * FROM webhook_endpoints WHERE id = ?',
  insert: `INSERT INTO webhook_endpoints (id, url, types, description, secret, created_at, disabled_at, disabled_reason)
    VALUES (?, ?, ?, ?, ?, ?, NULL, NULL)`,
  deleteAttempts:
    'DELETE FROM webhook_attempts WHERE message_id IN (SELECT id FROM webhook_messages WHERE endpoint_id = ?)',
  deleteMessages: 'DELETE FROM webhook_messages WHERE endpoint_id = ?',
  deleteEndpoint: 'DELETE FROM webhook_endpoints WHERE id = ?',
  disable: 'UPDATE webhook_endpoints SET disabled_at = ?, disabled_reason = ? WHERE id = ? AND disabled_at IS NULL',
  failPending: `UPDATE webhook_messages SET status = 'failed', finished_at = ? WHERE endpoint_id = ? AND status = 'pending'`,
} as const;

/** A 400 whose problem names the field, like a schema error. */
function fieldError(field: string, message: string): Error {
  const error = new InvalidBody(`body.${field} ${message}`);
  Object.assign(error, { validation: [{ instancePath: `/${field}`, message }], validationContext: 'body' });
  return error;
}

export class EndpointRegistry {
  private endpoints = new Map<string, EndpointRecord>();
  /** Per type, the active endpoints subscribed to it (what a change asks for). */
  private byType = new Map<WebhookType, EndpointRecord[]>();
  private loading: Promise<void> | null = null;
  /** Some endpoint is active (then a change builds its messages). */
  private active = false;

  constructor(
    private readonly store: CallStore,
    private readonly allowPrivate: boolean,
  ) {}

  /** Loads the list, and keeps it current with other processes' changes. */
  async start(): Promise<void> {
    await this.store.listen(WEBHOOK_CHANNEL, () => void this.reload().catch(() => {}));
    await this.reload();
  }

  /** Reads the list again (at most one read at a time; a call while one runs waits for a fresh one). */
  async reload(): Promise<void> {
    const previous = this.loading;
    const next = (async () => {
      await previous?.catch(() => {});
      const rows = await this.store.query(SQL.all);
      this.replace(rows.map(toRecord));
    })();
    this.loading = next;
    try {
      await next;
    } finally {
      if (this.loading === next) this.loading = null;
    }
  }

  subscribedTo(type: WebhookType): readonly EndpointRecord[] {
    return this.byType.get(type) ?? [];
  }

  any(): boolean {
    return this.active;
  }

  list(): EndpointRecord[] {
    return [...this.endpoints.values()];
  }

  /** From memory; one this process has not heard of yet (created elsewhere a moment ago) from the store. */
  async find(id: string): Promise<EndpointRecord | null> {
    const known = this.endpoints.get(id);
    if (known) return known;
    const [row] = await this.store.query(SQL.one, [id]);
    if (!row) return null;
    await this.reload();
    return this.endpoints.get(id) ?? toRecord(row);
  }

  /** Validates (form, then the resolved addresses), stores, and lists the new endpoint. */
  async create(input: CreateEndpointInput, now: number): Promise<EndpointRecord> {
    const form = checkUrlForm(input.url);
    if ('message' in form) throw fieldError('url', form.message);
    const destination = await checkDestination(form.url, this.allowPrivate);
    if (destination) throw fieldError('url', destination.message);
    const types = input.types ? WEBHOOK_TYPES.filter((t) => input.types?.includes(t)) : null;
    const record: EndpointRecord = {
      id: `ep_${randomBytes(16).toString('base64url')}`,
      url: form.url.href,
      types,
      description: input.description ?? null,
      secret: newSecret(),
      key: Buffer.alloc(0),
      createdAt: now,
      disabledAt: null,
      disabledReason: null,
    };
    record.key = secretBytes(record.secret);
    const result = await this.store.transaction([
      {
        sql: SQL.insert,
        params: [
          record.id,
          record.url,
          types ? JSON.stringify(types) : null,
          record.description,
          record.secret,
          record.createdAt,
        ],
      },
      ...this.notice(record.id),
    ]);
    if (!result.ok) throw new Error('webhook endpoint insert refused');
    this.replace([...this.endpoints.values(), record]);
    return record;
  }

  /** Deletes the endpoint with its messages and their attempts; false when there is none. */
  async remove(id: string): Promise<boolean> {
    const result = await this.store.transaction([
      { sql: SQL.deleteAttempts, params: [id] },
      { sql: SQL.deleteMessages, params: [id] },
      { sql: SQL.deleteEndpoint, params: [id], expectChanges: 1 },
      ...this.notice(id),
    ]);
    const next = new Map(this.endpoints);
    next.delete(id);
    this.replace([...next.values()]);
    return result.ok;
  }

  /** The statements that disable an endpoint and fail its pending messages (in a delivery's transaction). */
  disableStatements(id: string, reason: string, now: number): Statement[] {
    return [
      { sql: SQL.disable, params: [now, reason, id] },
      { sql: SQL.failPending, params: [now, id] },
      ...this.notice(id),
    ];
  }

  /** After a transaction of disableStatements committed. */
  disabled(id: string, reason: string, now: number): void {
    const known = this.endpoints.get(id);
    if (known && known.disabledAt === null) {
      this.replace(
        [...this.endpoints.values()].map((e) => (e.id === id ? { ...e, disabledAt: now, disabledReason: reason } : e)),
      );
    }
  }

  /** Tells the other processes sharing a PostgreSQL store to reload (sent when the transaction commits). */
  private notice(id: string): Statement[] {
    return this.store.kind === 'postgres' ? [{ sql: 'SELECT pg_notify(?, ?)', params: [WEBHOOK_CHANNEL, id] }] : [];
  }

  private replace(records: EndpointRecord[]): void {
    this.endpoints = new Map(records.map((r) => [r.id, r]));
    const byType = new Map<WebhookType, EndpointRecord[]>();
    for (const type of WEBHOOK_TYPES) {
      byType.set(
        type,
        records.filter((r) => r.disabledAt === null && (r.types === null || r.types.includes(type))),
      );
    }
    this.byType = byType;
    this.active = records.some((r) => r.disabledAt === null);
  }
}

function toRecord(row: Row): EndpointRecord {
  const secret = String(row.secret);
  return {
    id: String(row.id),
    url: String(row.url),
    types: row.types === null || row.types === undefined ? null : (JSON.parse(String(row.types)) as WebhookType[]),
    description: (row.description as string | null) ?? null,
    secret,
    key: secretBytes(secret),
    createdAt: Number(row.created_at),
    disabledAt: row.disabled_at === null || row.disabled_at === undefined ? null : Number(row.disabled_at),
    disabledReason: (row.disabled_reason as string | null) ?? null,
  };
}

/** An endpoint as the API shows it (`withSecret`: on create and on GET by id). */
export function endpointView(record: EndpointRecord): EndpointSummary;
export function endpointView(record: EndpointRecord, withSecret: true): Endpoint;
export function endpointView(record: EndpointRecord, withSecret = false): EndpointSummary | Endpoint {
  const summary: EndpointSummary = {
    id: record.id,
    url: record.url,
    types: record.types ?? [...WEBHOOK_TYPES],
    description: record.description,
    createdAt: new Date(record.createdAt).toISOString(),
    status: record.disabledAt === null ? 'active' : 'disabled',
    disabledAt: record.disabledAt === null ? null : new Date(record.disabledAt).toISOString(),
    disabledReason: record.disabledReason,
  };
  return withSecret ? { ...summary, secret: record.secret } : summary;
}
