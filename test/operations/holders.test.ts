/**
 * Escalations and webhook messages (SPEC §10: "and the escalations; undelivered webhook
 * messages"), on a SQLite file and on PostgreSQL. Their capabilities land separately; this test
 * makes their two tables with the columns those capabilities write (IF NOT EXISTS: once they
 * land, their migrations have made them), starts the service, and erases a call: the topic
 * leaves its escalation, the name and topic leave every message body of that call, and the
 * other call's rows are untouched.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { redactDeep } from '../../src/operations/holders.js';
import { openStore } from '../../src/store/index.js';
import { buildTestApp } from '../support/app.js';
import { testDatabase } from '../support/postgres.js';

const TABLES = [
  `CREATE TABLE IF NOT EXISTS escalations (id TEXT PRIMARY KEY, call_id TEXT NOT NULL, operator_id TEXT, topic TEXT NOT NULL,
     status TEXT NOT NULL, created_at BIGINT NOT NULL, acknowledged_at BIGINT, acknowledged_by TEXT, resolved_at BIGINT,
     resolved_by TEXT, resolution TEXT)`,
  `CREATE TABLE IF NOT EXISTS webhook_messages (n BIGINT PRIMARY KEY, id TEXT NOT NULL UNIQUE, endpoint_id TEXT NOT NULL,
     call_id TEXT NOT NULL, type TEXT NOT NULL, body TEXT NOT NULL, created_at BIGINT NOT NULL, status TEXT NOT NULL,
     attempts INTEGER NOT NULL, round_start BIGINT NOT NULL, due_at BIGINT NOT NULL, finished_at BIGINT)`,
];

const dir = mkdtempSync(join(tmpdir(), 'callflow-holders-'));
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const backends = [
  { name: 'sqlite file', url: async () => `sqlite:${join(dir, `holders-${Math.random()}.db`)}` },
  {
    name: 'postgres',
    async url() {
      const db = await testDatabase('holders');
      cleanups.push(() => db.drop());
      return db.url;
    },
  },
];

function body(callId: string, firstName: string, topic: string) {
  return JSON.stringify({
    type: 'call.updated',
    timestamp: '2026-12-02T10:00:00.000Z',
    data: {
      call: { callId, customer: { firstName }, actions: [{ type: 'supervisor.escalation', topic, id: 'e' }] },
      event: { type: 'customer.identified', data: { firstName } },
    },
  });
}

describe('redactDeep', () => {
  it('drops names and topics wherever they are, and keeps the rest', () => {
    expect(redactDeep(JSON.parse(body('c1', 'Аграфена', 'кредит')))).toEqual({
      type: 'call.updated',
      timestamp: '2026-12-02T10:00:00.000Z',
      data: {
        call: { callId: 'c1', customer: null, actions: [{ type: 'supervisor.escalation', topic: '', id: 'e' }] },
        event: { type: 'customer.identified', data: {} },
      },
    });
  });
});

describe.each(backends)('escalations and webhook messages on $name', (backend) => {
  it('an erasure reaches them, for that call only', async () => {
    const url = await backend.url();
    const setup = await openStore(loadConfig({ DATABASE_URL: url }));
    await setup.transaction(TABLES.map((sql) => ({ sql })));
    await setup.close();

    const app = await buildTestApp({ DATABASE_URL: url });
    try {
      const ids = ['holders-a', 'holders-b'];
      const names = { 'holders-a': 'АграфенаH7', 'holders-b': 'ЕвлампийH8' } as Record<string, string>;
      const topics = { 'holders-a': 'Тема H7', 'holders-b': 'Тема H8' } as Record<string, string>;
      let n = 0;
      for (const callId of ids) {
        const created = await app.inject({
          method: 'POST',
          url: '/v1/calls',
          payload: { callId, customer: { firstName: names[callId] } },
        });
        expect(created.statusCode).toBe(201);
        await app.store.transaction([
          {
            sql: "INSERT INTO escalations (id, call_id, topic, status, created_at) VALUES (?, ?, ?, 'open', 1)",
            params: [`esc-${callId}`, callId, topics[callId] as string],
          },
          ...['pending', 'delivered'].map((status) => ({
            sql: `INSERT INTO webhook_messages (n, id, endpoint_id, call_id, type, body, created_at, status, attempts, round_start, due_at)
                  VALUES (?, ?, 'ep', ?, 'call.updated', ?, 1, ?, 0, 0, 1)`,
            params: [++n, `msg-${n}`, callId, body(callId, names[callId] as string, topics[callId] as string), status],
          })),
        ]);
      }
      const res = await app.inject({ method: 'DELETE', url: '/v1/calls/holders-a/personal-data' });
      expect(res.statusCode).toBe(204);

      const rows = async (callId: string) =>
        JSON.stringify([
          await app.store.query('SELECT * FROM escalations WHERE call_id = ?', [callId]),
          await app.store.query('SELECT * FROM webhook_messages WHERE call_id = ?', [callId]),
        ]);
      const erased = await rows('holders-a');
      expect(erased).not.toContain('АграфенаH7');
      expect(erased).not.toContain('Тема H7');
      expect(erased).toContain('msg-1'); // the messages stay, only their bodies changed
      const kept = await rows('holders-b');
      expect(kept).toContain('ЕвлампийH8');
      expect(kept).toContain('Тема H8');

      const log = await app.inject({ method: 'GET', url: '/v1/erasures' });
      expect((log.json() as { erasures: { kinds: string[] }[] }).erasures[0]?.kinds).toEqual([
        'customer-name',
        'escalations',
        'webhook-messages',
      ]);
    } finally {
      await app.close();
    }
  });
});
