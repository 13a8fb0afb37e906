/**
 * SPEC §7, the outbox, on SQLite and PostgreSQL: a change's messages are rows of its own
 * transaction. Store level, with the outbox's own contributor: a batch (the group commit) writes
 * every accepted change's messages and jobs and none of a refused one's; an outbox row that
 * cannot be written takes its change down with it. Service level: a 2xx always has its
 * messages, a refused, failed or replayed request none, and a burst that the group commit
 * batches keeps every message, in version order per call.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../src/store/postgres.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import type { CallStore, Change, EventChange } from '../../src/store/types.js';
import { contributeCallMessages, DELIVERY_TASK } from '../../src/webhooks/outbox.js';
import type { WebhookType } from '../../src/webhooks/schemas.js';
import { callRecord, event, T0 } from '../store/contract/changes.js';
import { apply } from '../support/api.js';
import { buildTestApp, post, type TestApp } from '../support/app.js';
import { type TestDatabase, testDatabase } from '../support/postgres.js';

interface Backend {
  name: string;
  /** A DATABASE_URL for the service, and a cleanup. */
  url(): Promise<{ url: string; drop(): Promise<void> }>;
}

const backends: Backend[] = [
  { name: 'sqlite', url: async () => ({ url: 'sqlite::memory:', drop: async () => {} }) },
  {
    name: 'postgres',
    async url() {
      const db: TestDatabase = await testDatabase('webhooks_outbox');
      return db;
    },
  },
];

async function openStore(url: string): Promise<CallStore> {
  return url.startsWith('sqlite:') ? openSqliteStore(url.slice('sqlite:'.length)) : openPostgresStore(url);
}

/** Two endpoints: one for everything, one for call.ended only. */
const subscribers = {
  subscribedTo: (type: WebhookType) =>
    type === 'call.ended' ? [{ id: 'ep_all' }, { id: 'ep_ended' }] : [{ id: 'ep_all' }],
  any: () => true,
};

const messagesOf = (store: CallStore, callId: string) =>
  store.query('SELECT endpoint_id, type, body, status FROM webhook_messages WHERE call_id = ? ORDER BY n', [callId]);

async function deliveryJobsOf(store: CallStore, callId: string) {
  const jobs = await store.query('SELECT timer_id FROM jobs WHERE call_id = ? AND name = ? ORDER BY timer_id', [
    callId,
    DELIVERY_TASK,
  ]);
  return jobs.map((j) => String(j.timer_id));
}

for (const backend of backends) {
  describe(`outbox rows on ${backend.name}, store level`, () => {
    let store: CallStore;
    let drop: () => Promise<void>;
    const contribute = (kind: 'sqlite' | 'postgres') => {
      const outbox = contributeCallMessages(kind, subscribers);
      // The view is the service's; these tests look at the rows, so the record stands in for it.
      return (change: Change) => {
        outbox({ change, view: { callId: change.call.callId, version: change.call.version } as never });
        return change;
      };
    };
    beforeAll(async () => {
      const db = await backend.url();
      drop = db.drop;
      store = await openStore(db.url);
    });
    afterAll(async () => {
      await store.close();
      await drop();
    });

    it("one batch: every accepted change's messages and jobs, none of the refused one's", async () => {
      const withOutbox = contribute(store.kind);
      const a = callRecord('batch-a');
      const b = callRecord('batch-b');
      const c = callRecord('batch-c');
      expect(await store.commit([withOutbox({ kind: 'create', call: c })])).toEqual(['ok']);
      const aEvent = event(a);
      const ending: EventChange = event(b, { status: 'ended' });
      const stale = event({ ...c, version: 7 });
      const outcomes = await store.commit([
        withOutbox({ kind: 'create', call: a }),
        withOutbox({ kind: 'create', call: b }),
        withOutbox(stale),
        withOutbox(aEvent),
      ]);
      expect(outcomes).toEqual(['ok', 'ok', 'conflict', 'ok']);
      // b's ending change goes in a later batch of its own.
      expect(await store.commit([withOutbox(ending)])).toEqual(['ok']);

      expect((await messagesOf(store, 'batch-a')).map((m) => [m.endpoint_id, m.type, m.status])).toEqual([
        ['ep_all', 'call.created', 'pending'],
        ['ep_all', 'call.updated', 'pending'],
      ]);
      expect((await messagesOf(store, 'batch-b')).map((m) => [m.endpoint_id, m.type])).toEqual([
        ['ep_all', 'call.created'],
        ['ep_all', 'call.updated'],
        ['ep_all', 'call.ended'],
        ['ep_ended', 'call.ended'],
      ]);
      // c: only its creation (the stale change wrote nothing).
      expect((await messagesOf(store, 'batch-c')).map((m) => m.type)).toEqual(['call.created']);
      const [first] = await messagesOf(store, 'batch-a');
      expect(JSON.parse(String(first?.body))).toEqual({
        type: 'call.created',
        timestamp: new Date(T0).toISOString(),
        data: { call: { callId: 'batch-a', version: 0 }, event: expect.objectContaining({ seq: 0 }) },
      });
      // One delivery job per (endpoint, call) pair.
      expect(await deliveryJobsOf(store, 'batch-a')).toEqual(['webhook:ep_all']);
      expect(await deliveryJobsOf(store, 'batch-b')).toEqual(['webhook:ep_all', 'webhook:ep_ended']);
    });

    it('an outbox row that cannot be written takes its change with it', async () => {
      const withOutbox = contribute(store.kind);
      const call = callRecord('broken-outbox');
      const change = withOutbox({ kind: 'create', call });
      // The same message row twice: the second insert fails on the unique id.
      change.sideWrites = [...(change.sideWrites ?? []), ...(change.sideWrites ?? [])];
      await expect(store.commit([change])).rejects.toThrow();
      expect(await store.getCall('broken-outbox')).toBeNull();
      expect(await messagesOf(store, 'broken-outbox')).toEqual([]);
    });
  });

  describe(`outbox rows on ${backend.name}, through the API`, () => {
    let app: TestApp;
    let drop: () => Promise<void>;
    const rows = async (callId: string) =>
      (await app.store.query('SELECT type, body FROM webhook_messages WHERE call_id = ? ORDER BY n', [callId])).map(
        (r) => ({ type: String(r.type), version: JSON.parse(String(r.body)).data.call.version as number }),
      );

    beforeAll(async () => {
      const db = await backend.url();
      drop = db.drop;
      // A receiver that is never reached: the rows are what is looked at (they stay pending).
      app = await buildTestApp({ DATABASE_URL: db.url, WEBHOOK_ALLOW_PRIVATE: 'true', HOLD_CHECK_SECONDS: '600' });
      const res = await post(app, '/v1/webhooks', { url: 'http://127.0.0.1:9/never' });
      expect(res.statusCode, res.body).toBe(201);
    });
    afterAll(async () => {
      await app.close();
      await drop();
    });

    it('2xx: its messages; refused (404, 409, 400) and replayed: none', async () => {
      expect((await post(app, '/v1/calls', { callId: 'api-1' })).statusCode).toBe(201);
      // The same create again is a replay (200): no second call.created.
      expect((await post(app, '/v1/calls', { callId: 'api-1' })).statusCode).toBe(200);
      await apply(app, 'api-1', { type: 'answer.given', id: 'e1' });
      expect((await apply(app, 'api-1', { type: 'answer.given', id: 'e1' })).replayed).toBe(true);
      expect((await post(app, '/v1/calls/api-1/events', { type: 'offer.accepted' })).statusCode).toBe(409);
      expect((await post(app, '/v1/calls/api-1/events', { type: 'no.such-event' })).statusCode).toBe(400);
      expect((await post(app, '/v1/calls/api-1/events', { type: 'customer.prank', id: 'e1' })).statusCode).toBe(409);
      expect((await post(app, '/v1/calls/nobody/events', { type: 'answer.given' })).statusCode).toBe(404);
      expect(await rows('api-1')).toEqual([
        { type: 'call.created', version: 0 },
        { type: 'call.updated', version: 1 },
      ]);
      expect(await rows('nobody')).toEqual([]);
    });

    it('a burst the group commit batches keeps every message, in version order per call', async () => {
      const ids = Array.from({ length: 12 }, (_, i) => `burst-${i}`);
      await Promise.all(ids.map((callId) => post(app, '/v1/calls', { callId })));
      const before = await batches(app);
      // Three events per call, all calls at once: many changes share a transaction.
      const answers = await Promise.all(
        ids.flatMap((callId) =>
          ['customer.prank', 'customer.no-card', 'customer.location-question'].map((type) =>
            post(app, `/v1/calls/${callId}/events`, { type }),
          ),
        ),
      );
      const accepted = answers.filter((a) => a.statusCode === 200).length;
      const after = await batches(app);
      expect(after.count - before.count).toBeLessThan(after.sum - before.sum);
      let total = 0;
      for (const callId of ids) {
        const list = await rows(callId);
        total += list.length - 1;
        expect(list.map((r) => r.version)).toEqual(list.map((_, i) => i));
      }
      expect(total).toBe(accepted);
    });
  });
}

/** The commit batch histogram's count (transactions) and sum (changes). */
async function batches(app: TestApp): Promise<{ count: number; sum: number }> {
  const text = (await app.inject({ url: '/metrics' })).body;
  const count = Number(text.match(/^callflow_commit_batch_size_count (\d+)$/m)?.[1]);
  const sum = Number(text.match(/^callflow_commit_batch_size_sum (\d+)$/m)?.[1]);
  return { count, sum };
}
