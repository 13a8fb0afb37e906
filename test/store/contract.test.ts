/**
 * The CallStore contract (src/store/types.ts), one suite run unchanged against every backend
 * (the keyv pattern): SQLite on a file in a temp dir and PostgreSQL on a database of its own.
 * What only a shared store can do (two processes on one database) is at the bottom.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../src/store/postgres.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import type {
  CallRecord,
  CallStore,
  Change,
  CreateChange,
  EventChange,
  HistoryEntry,
  RemoteHandlers,
  TimerRow,
} from '../../src/store/types.js';
import { sleep, until } from '../support/api.js';
import { beforeFirstTest } from '../support/hooks.js';
import { type TestDatabase, testDatabase } from '../support/postgres.js';

interface Backend {
  name: string;
  /** The store, emptied: a new one (SQLite file) or the same one truncated (PostgreSQL). */
  fresh(): Promise<CallStore>;
  /** Another store on the same database, for the caller to close. */
  another(): Promise<CallStore>;
  cleanup(): Promise<void>;
}

function sqliteBackend(): Backend {
  const dir = mkdtempSync(join(tmpdir(), 'callflow-contract-'));
  let n = 0;
  let current: CallStore | null = null;
  return {
    name: 'sqlite',
    async fresh() {
      await current?.close();
      n += 1;
      current = await openSqliteStore(join(dir, `store-${n}.db`));
      return current;
    },
    async another() {
      return await openSqliteStore(join(dir, `store-${n}.db`));
    },
    async cleanup() {
      await current?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function postgresBackend(): Backend {
  let db: TestDatabase | null = null;
  let current: CallStore | null = null;
  let admin: pg.Client | null = null;
  return {
    name: 'postgres',
    // Connections cost about 25 ms each here: one store for the suite, emptied before each test.
    async fresh() {
      db ??= await testDatabase('contract');
      current ??= await openPostgresStore(db.url);
      if (!admin) {
        admin = new pg.Client({ connectionString: db.url });
        await admin.connect();
      }
      await admin.query('TRUNCATE calls, history, jobs');
      return current;
    },
    async another() {
      return openPostgresStore(db!.url);
    },
    async cleanup() {
      await current?.close();
      await admin?.end();
      await db?.drop();
    },
  };
}

async function truncate(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('TRUNCATE calls, history, jobs');
  } finally {
    await client.end();
  }
}

// ---- building changes -------------------------------------------------------------------

const T0 = 1_767_000_000_000; // epoch ms, beyond 2^32: bigint columns must come back as numbers

function callRecord(callId: string, overrides: Partial<CallRecord> = {}): CallRecord {
  return {
    callId,
    status: 'active',
    version: 0,
    locale: 'ru',
    // Key order and non-ASCII text must come back exactly as written.
    snapshot: { value: { conversation: 'greeting' }, context: { customer: { firstName: 'Иван' }, b: 1, a: [2, 3] } },
    prompts: ['greeting'],
    actions: [],
    timers: [],
    createFingerprint: `{"callId":"${callId}"}`,
    createdAt: T0,
    updatedAt: T0,
    operatorId: null,
    scriptVersion: 1,
    ...overrides,
  };
}

function create(callId: string, overrides: Partial<CallRecord> = {}): CreateChange {
  return { kind: 'create', call: callRecord(callId, overrides) };
}

interface EventOptions {
  eventId?: string | null;
  type?: string;
  at?: number;
  arm?: { timerId: string; dueAt: number }[];
  cancel?: string[];
  fired?: { timerId: string; dueAt: number };
  expectedVersion?: number;
  status?: CallRecord['status'];
}

/** The change that moves `call` on by one event (timers as the service would list them). */
function event(call: CallRecord, options: EventOptions = {}): EventChange {
  const at = options.at ?? call.updatedAt + 1;
  const version = call.version + 1;
  const timers = new Map(call.timers.map((t) => [t.timerId, t]));
  if (options.fired) timers.delete(options.fired.timerId);
  for (const id of options.cancel ?? []) timers.delete(id);
  const arm: TimerRow[] = (options.arm ?? []).map((t) => ({
    callId: call.callId,
    timerId: t.timerId,
    name: 'hold.check',
    dueAt: t.dueAt,
    event: { type: 'xstate.after.holdCheck.call.hold' },
  }));
  for (const t of arm) timers.set(t.timerId, { timerId: t.timerId, name: t.name, dueAt: t.dueAt });
  const timerList = [...timers.values()];
  const status = options.status ?? 'active';
  const snapshot = { value: { step: version }, context: { customer: { firstName: 'Иван', patronymic: 'Петрович' } } };
  const eventId = options.eventId === undefined ? `e${version}` : options.eventId;
  const next: CallRecord = {
    ...call,
    status,
    version,
    snapshot,
    prompts: ['hold.check'],
    actions: [{ type: 'supervisor.escalation', topic: `topic ${version}` }],
    timers: timerList,
    updatedAt: at,
  };
  const history: HistoryEntry = {
    callId: call.callId,
    seq: version,
    eventId,
    fingerprint: eventId === null ? null : `{"type":"${options.type ?? 'customer.speech'}"}`,
    type: options.type ?? 'customer.speech',
    data: { topic: `тема ${version}`, n: version },
    source: options.fired ? 'timer' : 'api',
    at,
    status,
    snapshot,
    prompts: next.prompts,
    actions: next.actions,
    timers: timerList,
  };
  return {
    kind: 'event',
    call: next,
    expectedVersion: options.expectedVersion ?? call.version,
    history,
    armTimers: arm,
    cancelTimers: options.cancel ?? [],
    ...(options.fired ? { firedTimer: options.fired } : {}),
  };
}

function runContract(makeBackend: () => Backend) {
  const backend = makeBackend();
  let store: CallStore;

  async function commitOne(change: Change) {
    const [outcome] = await store.commit([change]);
    return outcome;
  }

  /** Creates a call and applies `events` plain events; returns the call as stored. */
  async function callAt(callId: string, events = 0): Promise<CallRecord> {
    expect(await commitOne(create(callId))).toBe('ok');
    let call = callRecord(callId);
    for (let i = 0; i < events; i++) {
      const change = event(call);
      expect(await commitOne(change)).toBe('ok');
      call = change.call;
    }
    return call;
  }

  beforeEach(async () => {
    store = await backend.fresh();
  });
  afterAll(async () => {
    await backend.cleanup();
  });

  describe('create', () => {
    it('stores a new call and reads it back exactly', async () => {
      const record = callRecord('1732540000.42');
      expect(await commitOne({ kind: 'create', call: record })).toBe('ok');
      const stored = await store.getCall('1732540000.42');
      expect(stored).toEqual(record);
      expect(JSON.stringify(stored?.snapshot)).toBe(JSON.stringify(record.snapshot));
      expect(typeof stored?.createdAt).toBe('number');
      expect(await store.history('1732540000.42')).toEqual([]);
      expect(await store.getCall('nope')).toBeNull();
    });

    it('refuses a second create of the same call id and keeps the first', async () => {
      expect(await commitOne(create('c1', { createFingerprint: 'first' }))).toBe('ok');
      expect(await commitOne(create('c1', { createFingerprint: 'second', locale: 'en' }))).toBe('conflict');
      const stored = await store.getCall('c1');
      expect(stored?.createFingerprint).toBe('first');
      expect(stored?.locale).toBe('ru');
    });
  });

  describe('events', () => {
    it('applies an event: call row, history row and version move together', async () => {
      const call = await callAt('c1');
      const change = event(call, { eventId: 'ev-1' });
      expect(await commitOne(change)).toBe('ok');
      expect(await store.getCall('c1')).toEqual(change.call);
      expect(await store.history('c1')).toEqual([change.history]);
    });

    it('keeps a history entry as given, also where it differs from the call row', async () => {
      const call = await callAt('c1');
      const change = event(call, { eventId: 'own' });
      change.history = {
        ...change.history,
        snapshot: { value: 'earlier', context: {} },
        prompts: ['greeting'],
        actions: [],
        timers: [{ timerId: 'h', name: 'hold.check', dueAt: T0 }],
      };
      expect(await commitOne(change)).toBe('ok');
      expect(await store.getCall('c1')).toEqual(change.call);
      expect(await store.history('c1')).toEqual([change.history]);
    });

    it('refuses a change computed from a stale version and writes none of it', async () => {
      const call = await callAt('c1');
      const first = event(call, { eventId: 'a' });
      const stale = event(call, { eventId: 'b', arm: [{ timerId: 't', dueAt: T0 }] });
      expect(await commitOne(first)).toBe('ok');
      expect(await commitOne(stale)).toBe('conflict');
      expect(await store.getCall('c1')).toEqual(first.call);
      expect((await store.history('c1')).map((h) => h.eventId)).toEqual(['a']);
      expect(await store.findEvent('c1', 'b')).toBeNull();
      expect(await store.claimDueTimers(T0 + 1, 10, 1000)).toEqual([]);
    });

    it('refuses an event for a call that does not exist', async () => {
      expect(await commitOne(event(callRecord('ghost')))).toBe('conflict');
      expect(await store.history('ghost')).toEqual([]);
      expect(await store.getCall('ghost')).toBeNull();
    });

    it('refuses a second event with the same id on a call (idempotency key), writing nothing', async () => {
      const call = await callAt('c1');
      const first = event(call, { eventId: 'same' });
      expect(await commitOne(first)).toBe('ok');
      // Computed from the current version, so only the event id can make it conflict.
      const again = event(first.call, { eventId: 'same', arm: [{ timerId: 't', dueAt: T0 }] });
      expect(await commitOne(again)).toBe('conflict');
      expect(await store.getCall('c1')).toEqual(first.call);
      expect(await store.history('c1')).toEqual([first.history]);
      expect(await store.claimDueTimers(T0 + 10, 10, 1000)).toEqual([]);
      // The key is per call: another call may use it.
      const other = await callAt('c2');
      expect(await commitOne(event(other, { eventId: 'same' }))).toBe('ok');
      // Events without an id never collide.
      const a = event(first.call, { eventId: null });
      expect(await commitOne(a)).toBe('ok');
      expect(await commitOne(event(a.call, { eventId: null }))).toBe('ok');
      expect((await store.getCall('c1'))?.version).toBe(3);
    });

    it('keeps history in order and reads it after a given seq', async () => {
      const call = await callAt('c1', 5);
      expect(call.version).toBe(5);
      const all = await store.history('c1');
      expect(all.map((h) => h.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(all[2]).toMatchObject({ seq: 3, eventId: 'e3', data: { topic: 'тема 3', n: 3 }, source: 'api' });
      expect((await store.history('c1', 3)).map((h) => h.seq)).toEqual([4, 5]);
      expect(await store.history('c1', 5)).toEqual([]);
      expect((await store.history('c1', 0)).length).toBe(5);
    });

    it('finds an applied event by its id, on its own call only', async () => {
      const call = await callAt('c1', 2);
      await callAt('c2');
      const found = await store.findEvent('c1', 'e2');
      expect(found).toEqual(event(callRecord('c1', { version: 1, updatedAt: T0 + 1 })).history);
      expect(found?.fingerprint).toBe('{"type":"customer.speech"}');
      expect(await store.findEvent('c1', 'e9')).toBeNull();
      expect(await store.findEvent('c2', 'e2')).toBeNull();
      expect(call.version).toBe(2);
    });

    it('lists the event ids used on a call, in order, on that call only', async () => {
      await callAt('c1', 3);
      await callAt('c2');
      expect(await store.eventIds('c1')).toEqual(['e1', 'e2', 'e3']);
      expect(await store.eventIds('c2')).toEqual([]);
      expect(await store.eventIds('nope')).toEqual([]);
    });
  });

  describe('a batch', () => {
    it('commits each change on its own: a conflicting change rolls back alone', async () => {
      const b = await callAt('b');
      const c = await callAt('c');
      const d = await callAt('d');
      const e = await callAt('e', 1); // holds event id 'e1'
      const f = await callAt('f');
      const armed = event(f, { arm: [{ timerId: 't', dueAt: T0 }] });
      expect(await commitOne(armed)).toBe('ok');
      const fired = event(armed.call, { fired: { timerId: 't', dueAt: T0 }, eventId: null });
      expect(await commitOne(fired)).toBe('ok');

      const batch: Change[] = [
        create('a'), // ok
        event(b, { expectedVersion: 7 }), // stale version
        event(c, { arm: [{ timerId: 't', dueAt: T0 + 5 }] }), // ok
        create('d'), // exists
        event(e, { eventId: 'e1' }), // event id taken
        event(fired.call, { fired: { timerId: 't', dueAt: T0 }, eventId: null }), // timer row gone
        event(d, { eventId: 'x' }), // ok
      ];
      expect(await store.commit(batch)).toEqual(['ok', 'conflict', 'ok', 'conflict', 'conflict', 'conflict', 'ok']);

      expect((await store.getCall('a'))?.version).toBe(0);
      expect((await store.getCall('b'))?.version).toBe(0);
      expect(await store.history('b')).toEqual([]);
      expect((await store.getCall('c'))?.version).toBe(1);
      expect((await store.getCall('d'))?.version).toBe(1);
      expect((await store.getCall('d'))?.createFingerprint).toBe('{"callId":"d"}');
      expect((await store.getCall('e'))?.version).toBe(1);
      expect((await store.history('e')).length).toBe(1);
      expect((await store.getCall('f'))?.version).toBe(2);
      expect((await store.history('f')).length).toBe(2);
      expect((await store.claimDueTimers(T0 + 10, 10, 1000)).map((t) => t.callId)).toEqual(['c']);
    });

    it('stores any text a JSON body can carry, and a change it cannot hold fails alone', async () => {
      const odd = 'a\u0000b\ud800c'; // a NUL and a lone surrogate: valid JSON, not valid PostgreSQL text
      const c1 = await callAt('c1');
      const c2 = await callAt('c2');
      const c3 = await callAt('c3');
      const named = event(c1, { eventId: 'plain' });
      named.call.snapshot = { context: { customer: { firstName: odd } } };
      named.history.snapshot = named.call.snapshot;
      named.history.data = { firstName: odd };
      // (A NUL only: SQLite turns a lone surrogate in an event id into U+FFFD.)
      const oddId = event(c2, { eventId: 'id-a\u0000b' });
      const plain = event(c3);
      const [a, b, c] = await store.commit([named, oddId, plain]);
      expect([a, c]).toEqual(['ok', 'ok']);
      expect(await store.getCall('c1')).toEqual(named.call);
      expect((await store.history('c1'))[0]?.data).toEqual({ firstName: odd });
      expect((await store.getCall('c3'))?.version).toBe(1);
      // SQLite keeps any event id; PostgreSQL text cannot hold this one: then nothing of it stays.
      if (b === 'ok') {
        expect(await store.findEvent('c2', 'id-a\u0000b')).toEqual(oddId.history);
      } else {
        expect(b).toBe('conflict');
        expect(await store.getCall('c2')).toEqual(c2);
        expect(await store.history('c2')).toEqual([]);
      }
    });

    it('answers an empty batch with no outcomes', async () => {
      expect(await store.commit([])).toEqual([]);
    });
  });

  describe('list and count', () => {
    it('lists calls in id order, filtered by status, page by page with a cursor', async () => {
      for (const id of ['m', 'c', 'x', 'a', 'q', 'f', 'z']) {
        const call = await callAt(id);
        if (['c', 'q', 'z'].includes(id)) expect(await commitOne(event(call, { status: 'ended' }))).toBe('ok');
      }
      const ids = (calls: CallRecord[]) => calls.map((c) => c.callId);
      expect(ids(await store.listCalls({ limit: 100 }))).toEqual(['a', 'c', 'f', 'm', 'q', 'x', 'z']);
      expect(ids(await store.listCalls({ limit: 3 }))).toEqual(['a', 'c', 'f']);
      expect(ids(await store.listCalls({ limit: 3, cursor: 'f' }))).toEqual(['m', 'q', 'x']);
      expect(ids(await store.listCalls({ limit: 3, cursor: 'x' }))).toEqual(['z']);
      expect(ids(await store.listCalls({ limit: 3, cursor: 'z' }))).toEqual([]);
      expect(ids(await store.listCalls({ status: 'active', limit: 2 }))).toEqual(['a', 'f']);
      expect(ids(await store.listCalls({ status: 'active', limit: 2, cursor: 'f' }))).toEqual(['m', 'x']);
      expect(ids(await store.listCalls({ status: 'ended', limit: 10, cursor: 'c' }))).toEqual(['q', 'z']);
      expect(await store.countCalls('active')).toBe(4);
      expect(await store.countCalls('ended')).toBe(3);
    });

    it('orders call ids bytewise (digits, upper case, lower case)', async () => {
      for (const id of ['b', 'B', '1732540000.42', '_x', 'a-1', 'a.1', 'a:1']) await callAt(id);
      const listed = (await store.listCalls({ limit: 100 })).map((c) => c.callId);
      expect(listed).toEqual([...listed].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)));
      expect(listed).toEqual(['1732540000.42', 'B', '_x', 'a-1', 'a.1', 'a:1', 'b']);
    });

    it('counts zero on an empty store', async () => {
      expect(await store.countCalls('active')).toBe(0);
      expect(await store.countCalls('ended')).toBe(0);
    });
  });

  describe('timers', () => {
    it('arms, re-arms (upsert on the timer id) and cancels', async () => {
      let call = await callAt('c1');
      const arm = event(call, { arm: [{ timerId: 't', dueAt: T0 + 1000 }] });
      expect(await commitOne(arm)).toBe('ok');
      call = arm.call;
      expect(call.timers).toEqual([{ timerId: 't', name: 'hold.check', dueAt: T0 + 1000 }]);
      expect(await store.nextTimerDue()).toBe(T0 + 1000);

      const rearm = event(call, { arm: [{ timerId: 't', dueAt: T0 + 5000 }] });
      expect(await commitOne(rearm)).toBe('ok');
      call = rearm.call;
      expect(await store.nextTimerDue()).toBe(T0 + 5000);
      expect(await store.claimDueTimers(T0 + 2000, 10, 1000)).toEqual([]);

      const cancel = event(call, { cancel: ['t'] });
      expect(await commitOne(cancel)).toBe('ok');
      expect(await store.nextTimerDue()).toBeNull();
      expect(await store.claimDueTimers(T0 + 10_000, 10, 1000)).toEqual([]);
      expect((await store.getCall('c1'))?.timers).toEqual([]);
    });

    it('claims only due timers, earliest first, up to the limit, with their event', async () => {
      for (const [id, due] of [
        ['c3', T0 + 3000],
        ['c1', T0 + 1000],
        ['c2', T0 + 2000],
      ] as const) {
        const call = await callAt(id);
        expect(await commitOne(event(call, { arm: [{ timerId: 'hold', dueAt: due }] }))).toBe('ok');
      }
      expect(await store.claimDueTimers(T0 + 999, 10, 10_000)).toEqual([]);
      expect(await store.claimDueTimers(T0 + 2500, 1, 10_000)).toEqual([
        {
          callId: 'c1',
          timerId: 'hold',
          name: 'hold.check',
          dueAt: T0 + 1000,
          event: { type: 'xstate.after.holdCheck.call.hold' },
        },
      ]);
      expect((await store.claimDueTimers(T0 + 2500, 10, 10_000)).map((t) => t.callId)).toEqual(['c2']);
      expect((await store.claimDueTimers(T0 + 3000, 10, 10_000)).map((t) => t.callId)).toEqual(['c3']);
    });

    it('does not hand a claimed timer out again until its lease runs out', async () => {
      for (const [id, due] of [
        ['c1', T0 + 1000],
        ['c2', T0 + 2000],
      ] as const) {
        const call = await callAt(id);
        expect(await commitOne(event(call, { arm: [{ timerId: 'hold', dueAt: due }] }))).toBe('ok');
      }
      // c1 claimed at +1500 with a 1000 ms lease: held until +2500.
      expect((await store.claimDueTimers(T0 + 1500, 10, 1000)).map((t) => t.callId)).toEqual(['c1']);
      expect(await store.claimDueTimers(T0 + 1600, 10, 1000)).toEqual([]);
      // The next claimable moment is c2's due time; c1 comes back at the end of its lease.
      expect(await store.nextTimerDue()).toBe(T0 + 2000);
      expect((await store.claimDueTimers(T0 + 2100, 10, 1000)).map((t) => t.callId)).toEqual(['c2']);
      expect(await store.nextTimerDue()).toBe(T0 + 2500);
      expect(await store.claimDueTimers(T0 + 2499, 10, 1000)).toEqual([]);
      expect((await store.claimDueTimers(T0 + 2500, 10, 1000)).map((t) => t.callId)).toEqual(['c1']);
      expect(await store.nextTimerDue()).toBe(T0 + 3100);
    });

    it('frees a claimed timer when it is re-armed', async () => {
      const call = await callAt('c1');
      const arm = event(call, { arm: [{ timerId: 'hold', dueAt: T0 + 1000 }] });
      expect(await commitOne(arm)).toBe('ok');
      expect((await store.claimDueTimers(T0 + 1000, 10, 60_000)).length).toBe(1);
      const rearm = event(arm.call, { arm: [{ timerId: 'hold', dueAt: T0 + 2000 }] });
      expect(await commitOne(rearm)).toBe('ok');
      expect(await store.nextTimerDue()).toBe(T0 + 2000);
      expect((await store.claimDueTimers(T0 + 2000, 10, 60_000)).map((t) => t.dueAt)).toEqual([T0 + 2000]);
    });

    it('fires a timer once: the firing deletes exactly that row, a second firing conflicts', async () => {
      const call = await callAt('c1');
      const arm = event(call, { arm: [{ timerId: 'hold', dueAt: T0 + 1000 }] });
      expect(await commitOne(arm)).toBe('ok');
      const [claimed] = await store.claimDueTimers(T0 + 1000, 10, 1000);
      expect(claimed?.dueAt).toBe(T0 + 1000);

      // The firing re-arms the same timer id, as the hold check does.
      const fire = event(arm.call, {
        eventId: null,
        fired: { timerId: 'hold', dueAt: T0 + 1000 },
        arm: [{ timerId: 'hold', dueAt: T0 + 2000 }],
      });
      // A second node computed the same firing from the same version: the version check stops
      // it; one computed later from the new version is stopped by the row (now due at +2000).
      const twin = event(arm.call, { eventId: null, fired: { timerId: 'hold', dueAt: T0 + 1000 } });
      expect(await commitOne(fire)).toBe('ok');
      expect(await commitOne(twin)).toBe('conflict');
      const late = event(fire.call, { eventId: null, fired: { timerId: 'hold', dueAt: T0 + 1000 } });
      expect(await commitOne(late)).toBe('conflict');
      expect((await store.getCall('c1'))?.version).toBe(2);
      expect((await store.history('c1')).map((h) => h.source)).toEqual(['api', 'timer']);
      expect(await store.nextTimerDue()).toBe(T0 + 2000);

      // Cancelled (unhold) before it fired: the firing finds no row.
      const cancel = event(fire.call, { cancel: ['hold'] });
      expect(await commitOne(cancel)).toBe('ok');
      const gone = event(cancel.call, { eventId: null, fired: { timerId: 'hold', dueAt: T0 + 2000 } });
      expect(await commitOne(gone)).toBe('conflict');
      expect((await store.getCall('c1'))?.version).toBe(3);
      expect(await store.history('c1', 3)).toEqual([]);
    });

    it('has no next timer on an empty store', async () => {
      expect(await store.nextTimerDue()).toBeNull();
      expect(await store.claimDueTimers(Date.now(), 10, 1000)).toEqual([]);
    });
  });

  describe('after a conflict', () => {
    it('leaves no trace of the conflicting change: no call update, history, timer arm or cancel', async () => {
      const call = await callAt('c1');
      const arm = event(call, { arm: [{ timerId: 'keep', dueAt: T0 + 1000 }] });
      expect(await commitOne(arm)).toBe('ok');
      const before = {
        call: await store.getCall('c1'),
        history: await store.history('c1'),
        next: await store.nextTimerDue(),
      };
      // Everything a change can write, refused at its last step (the taken event id).
      const doomed = event(arm.call, {
        eventId: 'e1',
        cancel: ['keep'],
        arm: [{ timerId: 'new', dueAt: T0 + 10 }],
        status: 'ended',
      });
      expect(await commitOne(doomed)).toBe('conflict');
      expect(await store.getCall('c1')).toEqual(before.call);
      expect(await store.history('c1')).toEqual(before.history);
      expect(await store.nextTimerDue()).toBe(before.next);
      expect((await store.claimDueTimers(T0 + 5000, 10, 1000)).map((t) => t.timerId)).toEqual(['keep']);
      expect(await store.countCalls('ended')).toBe(0);
    });
  });

  describe('concurrent commits', () => {
    it('lets exactly one of two racing changes from the same version win', async () => {
      const call = await callAt('c1');
      const results = await Promise.all([
        store.commit([event(call, { eventId: 'x' })]),
        store.commit([event(call, { eventId: 'y' })]),
      ]);
      expect(results.flat().sort()).toEqual(['conflict', 'ok']);
      expect((await store.history('c1')).length).toBe(1);
    });
  });

  it('answers ping, and closes more than once', async () => {
    await store.ping();
    const extra = await backend.another();
    await extra.ping();
    await extra.close();
    await extra.close();
    await expect(extra.ping()).rejects.toThrow();
  });
}

describe.each([
  { name: 'sqlite', make: sqliteBackend },
  { name: 'postgres', make: postgresBackend },
])('CallStore contract: $name', ({ make }) => {
  runContract(make);
});

// ---- only a shared store: several processes on one PostgreSQL database -----------------

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
      const files = readdirSync(new URL('../../src/store/migrations/postgres/', import.meta.url)).filter((f) =>
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

function recorder() {
  const changes: string[] = [];
  const timers: number[] = [];
  const handlers: RemoteHandlers = {
    change: (callId, version) => changes.push(`${callId} ${version}`),
    timerArmed: (dueAt) => timers.push(dueAt),
  };
  return { changes, timers, handlers };
}
