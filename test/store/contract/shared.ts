/**
 * What only a shared store does: several processes on one PostgreSQL database (claims, races,
 * notifications, migrations).
 */
import { readdirSync } from 'node:fs';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../../src/store/postgres.js';
import type { CallStore, Change, RemoteHandlers } from '../../../src/store/types.js';
import { sleep, until } from '../../support/api.js';
import { beforeFirstTest } from '../../support/hooks.js';
import { type TestDatabase, testDatabase } from '../../support/postgres.js';
import { truncate } from './backends.js';
import { callRecord, create, event, T0 } from './changes.js';

export function sharedPostgresContract(): void {
  describe('PostgreSQL shared by several processes', () => {
    let db: TestDatabase;
    const stores: CallStore[] = [];
    async function open() {
      const store = await openPostgresStore(db.url);
      stores.push(store);
      return store;
    }

    beforeFirstTest(async () => {
      db = await testDatabase('shared');
    });
    afterAll(async () => {
      for (const s of stores) await s.close();
      await db?.drop();
    });

    it('is shared and commits several batches at once', async () => {
      const store = await open();
      expect(store.kind).toBe('postgres');
      expect(store.shared).toBe(true);
      expect(store.maxConcurrentCommits).toBeGreaterThan(1);
    });

    it('migrates once when several nodes start together', async () => {
      const fresh = await testDatabase('migrate');
      try {
        const many = await Promise.all(Array.from({ length: 4 }, () => openPostgresStore(fresh.url)));
        const client = new pg.Client({ connectionString: fresh.url });
        await client.connect();
        const { rows } = await client.query('SELECT version FROM schema_migrations ORDER BY version');
        await client.end();
        const files = readdirSync(new URL('../../../src/store/migrations/postgres/', import.meta.url)).filter((f) =>
          /^\d{4}_/.test(f),
        );
        expect(files.length).toBeGreaterThanOrEqual(2);
        expect(rows.map((r) => r.version)).toEqual(files.map((f) => Number(f.slice(0, 4))));
        await many[0]!.ping();
        for (const s of many) await s.close();
        // Opening again applies nothing and works.
        const again = await openPostgresStore(fresh.url);
        expect(await again.countCalls('active')).toBe(0);
        await again.close();
      } finally {
        await fresh.drop();
      }
    });

    it('never gives one due timer to two nodes claiming at once', async () => {
      const [a, b, c] = [await open(), await open(), await open()];
      await truncate(db.url);
      const n = 60;
      const due = T0 + 1000;
      const batch: Change[] = [];
      for (let i = 0; i < n; i++) batch.push(create(`claim-${i}`));
      expect(new Set(await a.commit(batch))).toEqual(new Set(['ok']));
      const arms = Array.from({ length: n }, (_, i) =>
        event(callRecord(`claim-${i}`), { arm: [{ timerId: 'hold', dueAt: due }] }),
      );
      expect(new Set(await a.commit(arms))).toEqual(new Set(['ok']));
      const claims = await Promise.all(
        [a, b, c, a, b, c].map((s) => s.claimDueTimers(due, 7, 60_000).then((rows) => rows.map((r) => r.callId))),
      );
      const all = claims.flat();
      expect(all.length).toBe(Math.min(n, 6 * 7));
      expect(new Set(all).size).toBe(all.length);
    });

    it('skips a due timer another node is claiming right now, rather than waiting for it', async () => {
      const a = await open();
      await truncate(db.url);
      const due = T0 + 1000;
      await a.commit(['s1', 's2', 's3'].map((id) => create(id)));
      await a.commit(['s1', 's2', 's3'].map((id) => event(callRecord(id), { arm: [{ timerId: 'hold', dueAt: due }] })));
      const claimer = new pg.Client({ connectionString: db.url });
      await claimer.connect();
      try {
        // Another node, mid-claim, holds s2's row.
        await claimer.query('BEGIN');
        await claimer.query("SELECT 1 FROM jobs WHERE call_id = 's2' FOR UPDATE");
        const claimed = await Promise.race([
          a.claimDueTimers(due, 10, 60_000),
          new Promise<'waited'>((resolve) => setTimeout(() => resolve('waited'), 3_000)),
        ]);
        expect(claimed === 'waited' ? claimed : claimed.map((t) => t.callId).sort()).toEqual(['s1', 's3']);
        await claimer.query('ROLLBACK');
        expect((await a.claimDueTimers(due, 10, 60_000)).map((t) => t.callId)).toEqual(['s2']);
      } finally {
        await claimer.end();
      }
    });

    it('decides racing changes from two nodes by version, without deadlocks', { timeout: 10_000 }, async () => {
      const [a, b] = [await open(), await open()];
      await truncate(db.url);
      const calls = Array.from({ length: 40 }, (_, i) => `race-${String(i).padStart(2, '0')}`);
      await a.commit(calls.map((id) => create(id)));
      // Both nodes batch changes for all calls, in opposite orders. A third session holds one call
      // in the middle, so both batches are half-way when it lets go: had the store not sorted
      // them, each would then wait for a row the other holds, a deadlock PostgreSQL breaks only
      // after deadlock_timeout (1 s), change after change.
      const blocker = new pg.Client({ connectionString: db.url });
      await blocker.connect();
      try {
        await blocker.query('BEGIN');
        await blocker.query('SELECT 1 FROM calls WHERE call_id = $1 FOR UPDATE', ['race-20']);
        const fromA = calls.map((id) => event(callRecord(id), { eventId: 'a' }));
        const fromB = [...calls].reverse().map((id) => event(callRecord(id), { eventId: 'b' }));
        const racing = Promise.all([a.commit(fromA), b.commit(fromB)]);
        await sleep(300);
        await blocker.query('ROLLBACK');
        const [outA, outB] = await racing;
        const wonA = new Set(calls.filter((_, i) => outA[i] === 'ok'));
        const wonB = new Set([...calls].reverse().filter((_, i) => outB[i] === 'ok'));
        for (const id of calls) expect(Number(wonA.has(id)) + Number(wonB.has(id)), id).toBe(1);
        for (const id of calls) {
          expect((await a.history(id)).map((h) => h.eventId)).toEqual([wonA.has(id) ? 'a' : 'b']);
        }
      } finally {
        await blocker.end();
      }
    });

    it("tells each node about the others' changes and timer arms, after commit, never its own", async () => {
      const [a, b] = [await open(), await open()];
      await truncate(db.url);
      const seenA = recorder();
      const seenB = recorder();
      await a.watch(seenA.handlers);
      await b.watch(seenB.handlers);

      expect(await a.commit([create('n1')])).toEqual(['ok']);
      const armed = event(callRecord('n1'), { arm: [{ timerId: 'hold', dueAt: T0 + 30_000 }] });
      expect(await a.commit([armed])).toEqual(['ok']);
      // A refused change is never announced.
      expect(await a.commit([event(callRecord('n1'), { eventId: 'z' })])).toEqual(['conflict']);
      expect(await b.commit([event(armed.call, { eventId: 'from-b' })])).toEqual(['ok']);

      await until(() => seenB.changes.length >= 2 && seenA.changes.length >= 1);
      await sleep(100);
      expect(seenB.changes).toEqual(['n1 0', 'n1 1']);
      expect(seenB.timers).toEqual([T0 + 30_000]);
      expect(seenA.changes).toEqual(['n1 2']);
      expect(seenA.timers).toEqual([]);
    });

    it('announces every change of a large batch, in order, over as many notifications as it takes', async () => {
      const [a, b] = [await open(), await open()];
      await truncate(db.url);
      const seenB = recorder();
      await b.watch(seenB.handlers);
      // 150 changes with 120-character ids: about 19 KB of payload, past one notification's 8000 bytes.
      const ids = Array.from({ length: 150 }, (_, i) => `${String(i).padStart(3, '0')}-${'x'.repeat(116)}`);
      expect(await a.commit(ids.map((id) => create(id)))).toEqual(ids.map(() => 'ok'));
      expect(await a.commit(ids.map((id) => event(callRecord(id))))).toEqual(ids.map(() => 'ok'));
      await until(() => seenB.changes.length >= 300);
      await sleep(100);
      expect(seenB.changes).toEqual([...ids.map((id) => `${id} 0`), ...ids.map((id) => `${id} 1`)]);
    });

    it('listens again after its listening connection is dropped, and catches up on timers', async () => {
      const [a, b] = [await open(), await open()];
      await truncate(db.url);
      const seenB = recorder();
      await b.watch(seenB.handlers);
      await a.commit([create('r1')]);
      await until(() => seenB.changes.length === 1);

      const admin = new pg.Client({ connectionString: db.url });
      await admin.connect();
      try {
        // Drop every listening connection of this database.
        const { rows } = await admin.query(
          `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
         WHERE datname = current_database() AND application_name = 'callflow-listen'`,
        );
        expect(rows.length).toBeGreaterThan(0);
      } finally {
        await admin.end();
      }
      // After reconnecting it asks its worker to look at the timer table (arms may have been missed).
      await until(() => seenB.timers.length === 1, { timeoutMs: 10_000 });
      expect(seenB.timers[0]).toBeGreaterThan(T0);
      let n = 0;
      let call = callRecord('r1');
      // Notifications flow again.
      await until(
        async () => {
          const change = event(call, { eventId: `again-${n++}` });
          if ((await a.commit([change]))[0] === 'ok') call = change.call;
          return seenB.changes.includes(`r1 ${call.version}`);
        },
        { timeoutMs: 10_000 },
      );
    });
  });
}

function recorder() {
  const changes: string[] = [];
  const timers: number[] = [];
  const handlers: RemoteHandlers = {
    change: (callId, version) => changes.push(`${callId} ${version}`),
    timerArmed: (dueAt) => timers.push(dueAt),
  };
  return { changes, timers, handlers };
}
