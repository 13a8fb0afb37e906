/**
 * The store contract for what this release's capabilities build on, on every backend: jobs
 * scheduled outside a change (finish, retry), jobs and other rows written with a change (all or
 * nothing, none for a refused change), capabilities' own statements, and the call's operator
 * and script version.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallRecord, CallStore, CreateChange, EventChange, JobRow } from '../../src/store/types.js';
import { standaloneBackends } from './contract/backends.js';
import { callRecord, T0 } from './contract/changes.js';

const record = callRecord;

function eventOf(call: CallRecord, overrides: Partial<EventChange> = {}): EventChange {
  const next = { ...call, version: call.version + 1, updatedAt: call.updatedAt + 1 };
  return {
    kind: 'event',
    call: next,
    expectedVersion: call.version,
    history: {
      callId: call.callId,
      seq: next.version,
      eventId: null,
      fingerprint: null,
      type: 'customer.prank',
      data: {},
      source: 'api',
      at: next.updatedAt,
      status: next.status,
      snapshot: next.snapshot,
      prompts: next.prompts,
      actions: next.actions,
      timers: next.timers,
    },
    armTimers: [],
    cancelTimers: [],
    ...overrides,
  };
}

function job(callId: string, key: string, dueAt: number, name = 'probe.task'): JobRow {
  return { callId, timerId: key, name, dueAt, event: { type: name, n: 1 } };
}

const PROBE_TABLE = `CREATE TABLE IF NOT EXISTS probe_rows (id TEXT PRIMARY KEY, call_id TEXT NOT NULL, body TEXT NOT NULL)`;

const backends = standaloneBackends('capabilities');

for (const backend of backends) {
  describe(`store capabilities: ${backend.name}`, () => {
    let store: CallStore;
    let close: () => Promise<void>;
    let n = 0;
    const nextId = (prefix: string) => `${prefix}-${++n}`;
    beforeAll(async () => {
      ({ store, close } = await backend.open());
      const created = await store.transaction([{ sql: PROBE_TABLE }]);
      expect(created.ok).toBe(true);
    });
    afterAll(() => close());

    it("keeps a call's operator and script version, and lists by operator", async () => {
      const a = nextId('op');
      const b = nextId('op');
      const c = nextId('op');
      expect(
        await store.commit([
          { kind: 'create', call: record(a, { operatorId: 'anna', scriptVersion: 3 }) },
          { kind: 'create', call: record(b, { operatorId: 'boris' }) },
          { kind: 'create', call: record(c, { operatorId: 'anna' }) },
        ]),
      ).toEqual(['ok', 'ok', 'ok']);
      expect(await store.getCall(a)).toMatchObject({ operatorId: 'anna', scriptVersion: 3 });
      const anna = await store.listCalls({ operatorId: 'anna', limit: 10 });
      expect(anna.map((call) => call.callId)).toEqual([a, c]);
      // An event keeps them.
      const change = eventOf((await store.getCall(a))!);
      expect(await store.commit([change])).toEqual(['ok']);
      expect(await store.getCall(a)).toMatchObject({ operatorId: 'anna', scriptVersion: 3, version: 1 });
    });

    it('schedules a job: replace moves it, keep leaves it; claim, finish and retry', async () => {
      const callId = nextId('job');
      await store.scheduleJob(job(callId, 'k', T0 + 100), 'replace');
      await store.scheduleJob(job(callId, 'k', T0 + 500), 'keep');
      // A claimed row carries its lease's end: claim time + lease.
      expect(await store.claimDueTimers(T0 + 200, 10, 1_000)).toEqual([
        { ...job(callId, 'k', T0 + 100), lockedUntil: T0 + 1_200 },
      ]);
      // Claimed: not handed out again during the lease.
      expect(await store.claimDueTimers(T0 + 300, 10, 1_000)).toEqual([]);
      // A retry for the claimed due time moves it and frees the claim; a stale one does nothing.
      expect(await store.retryJob({ callId, timerId: 'k', dueAt: T0 + 1 }, T0 + 400)).toBe(false);
      expect(await store.retryJob({ callId, timerId: 'k', dueAt: T0 + 100 }, T0 + 400)).toBe(true);
      expect(await store.claimDueTimers(T0 + 350, 10, 1_000)).toEqual([]);
      const [again] = await store.claimDueTimers(T0 + 450, 10, 1_000);
      expect(again).toEqual({ ...job(callId, 'k', T0 + 400), lockedUntil: T0 + 1_450 });
      // Rescheduled meanwhile (replace): finishing the old claim leaves the new one.
      await store.scheduleJob(job(callId, 'k', T0 + 900), 'replace');
      expect(await store.finishJob({ callId, timerId: 'k', dueAt: T0 + 400 })).toBe(false);
      expect(await store.finishJob({ callId, timerId: 'k', dueAt: T0 + 900 })).toBe(true);
      expect(await store.claimDueTimers(T0 + 10_000, 10, 1_000)).toEqual([]);
    });

    it("writes a change's jobs (if absent) and rows with it", async () => {
      const callId = nextId('side');
      const create: CreateChange = {
        kind: 'create',
        call: record(callId),
        ensureJobs: [job(callId, 'idle', T0 + 50, 'call.idle')],
        sideWrites: [
          {
            sql: 'INSERT INTO probe_rows (id, call_id, body) VALUES (?, ?, ?)',
            params: [`${callId}-0`, callId, 'Иван «0»'],
          },
        ],
      };
      expect(await store.commit([create])).toEqual(['ok']);
      const event = eventOf(create.call, {
        // Already there: kept as it is, not moved.
        ensureJobs: [
          job(callId, 'idle', T0 + 99_999, 'call.idle'),
          job(callId, 'webhook:e1', T0 + 60, 'webhook.delivery'),
        ],
        sideWrites: [
          { sql: 'INSERT INTO probe_rows (id, call_id, body) VALUES (?, ?, ?)', params: [`${callId}-1`, callId, 'b'] },
        ],
      });
      expect(await store.commit([event])).toEqual(['ok']);
      const rows = await store.query('SELECT id, body FROM probe_rows WHERE call_id = ? ORDER BY id', [callId]);
      expect(rows).toEqual([
        { id: `${callId}-0`, body: 'Иван «0»' },
        { id: `${callId}-1`, body: 'b' },
      ]);
      const due = (await store.claimDueTimers(T0 + 1_000, 100, 1_000)).filter((j) => j.callId === callId);
      expect(due.map((j) => [j.timerId, j.name, j.dueAt])).toEqual([
        ['idle', 'call.idle', T0 + 50],
        ['webhook:e1', 'webhook.delivery', T0 + 60],
      ]);
    });

    it("writes none of a refused change's rows or jobs, and the rest of its batch stands", async () => {
      const callId = nextId('refused');
      const other = nextId('refused');
      expect(
        await store.commit([
          { kind: 'create', call: record(callId) },
          { kind: 'create', call: record(other) },
        ]),
      ).toEqual(['ok', 'ok']);
      const stale = eventOf(record(callId, { version: 5 }), {
        ensureJobs: [job(callId, 'x', T0, 'probe.task')],
        sideWrites: [
          { sql: 'INSERT INTO probe_rows (id, call_id, body) VALUES (?, ?, ?)', params: [`${callId}-x`, callId, 'x'] },
        ],
      });
      const fine = eventOf(record(other), {
        sideWrites: [
          { sql: 'INSERT INTO probe_rows (id, call_id, body) VALUES (?, ?, ?)', params: [`${other}-y`, other, 'y'] },
        ],
      });
      expect(await store.commit([stale, fine])).toEqual(['conflict', 'ok']);
      expect(await store.query('SELECT id FROM probe_rows WHERE call_id = ?', [callId])).toEqual([]);
      expect(await store.query('SELECT id FROM probe_rows WHERE call_id = ?', [other])).toEqual([{ id: `${other}-y` }]);
      expect((await store.claimDueTimers(T0 + 1, 100, 1_000)).filter((j) => j.callId === callId)).toEqual([]);
    });

    it("a capability's transaction is all or nothing, and expectChanges rolls it back", async () => {
      const id = nextId('tx');
      const ok = await store.transaction([
        { sql: 'INSERT INTO probe_rows (id, call_id, body) VALUES (?, ?, ?)', params: [id, 'c', 'one'] },
        { sql: 'UPDATE probe_rows SET body = ? WHERE id = ?', params: ['two', id], expectChanges: 1 },
        { sql: 'SELECT body FROM probe_rows WHERE id = ?', params: [id] },
      ]);
      expect(ok).toEqual({
        ok: true,
        results: [
          { changes: 1, rows: [] },
          { changes: 1, rows: [] },
          { changes: 1, rows: [{ body: 'two' }] },
        ],
      });
      const refused = await store.transaction([
        { sql: 'UPDATE probe_rows SET body = ? WHERE id = ?', params: ['three', id] },
        { sql: 'UPDATE probe_rows SET body = ? WHERE id = ?', params: ['four', 'nobody'], expectChanges: 1 },
      ]);
      expect(refused).toEqual({ ok: false, failedAt: 1 });
      expect(await store.query('SELECT body FROM probe_rows WHERE id = ?', [id])).toEqual([{ body: 'two' }]);
      // An error rolls back too, and reaches the caller.
      await expect(
        store.transaction([
          { sql: 'UPDATE probe_rows SET body = ? WHERE id = ?', params: ['five', id] },
          { sql: 'INSERT INTO probe_rows (id, call_id, body) VALUES (?, ?, ?)', params: [id, 'c', 'dup'] },
        ]),
      ).rejects.toThrow();
      expect(await store.query('SELECT body FROM probe_rows WHERE id = ?', [id])).toEqual([{ body: 'two' }]);
    });

    it('transactions asked for at once are each all or nothing on their own', async () => {
      // SQLite commits them together (sqlite-transaction-batch.ts), each in a savepoint.
      const [a, b, c, d] = [nextId('many'), nextId('many'), nextId('many'), nextId('many')];
      const insert = (id: string, body: string) => ({
        sql: 'INSERT INTO probe_rows (id, call_id, body) VALUES (?, ?, ?)',
        params: [id, 'c', body],
      });
      await store.transaction([insert(d, 'kept')]);
      const answers = await Promise.allSettled([
        store.transaction([insert(a, 'one')]),
        store.transaction([
          insert(b, 'two'),
          { sql: 'DELETE FROM probe_rows WHERE id = ?', params: ['nobody'], expectChanges: 1 },
        ]),
        store.transaction([insert(c, 'three'), insert(d, 'duplicate')]),
        store.transaction([{ sql: 'SELECT body FROM probe_rows WHERE id = ?', params: [a] }]),
      ]);
      expect(answers[0]).toEqual({ status: 'fulfilled', value: { ok: true, results: [{ changes: 1, rows: [] }] } });
      expect(answers[1]).toEqual({ status: 'fulfilled', value: { ok: false, failedAt: 1 } });
      expect(answers[2].status).toBe('rejected');
      // The fourth sees the first (they run in the order asked), not what the others undid.
      expect(answers[3]).toEqual({
        status: 'fulfilled',
        value: { ok: true, results: [{ changes: 1, rows: [{ body: 'one' }] }] },
      });
      const rows = await store.query('SELECT id, body FROM probe_rows WHERE id IN (?, ?, ?, ?) ORDER BY body', [
        a,
        b,
        c,
        d,
      ]);
      expect(rows).toEqual([
        { id: d, body: 'kept' },
        { id: a, body: 'one' },
      ]);
    });
  });
}
