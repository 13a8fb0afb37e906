/**
 * Stuck calls (SPEC §10) with short settings (hold check 0.2 s, idle 1.5 s), on a SQLite file
 * and on PostgreSQL: a call left on hold ends as `abandoned` about 1.5 s after its last API
 * event although the hold check keeps firing; a call that gets events lives on; a restart
 * midway still ends it, once; two nodes on one PostgreSQL end it once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NAME } from '../api/texts.js';
import { apply, getHistory, getView, type HistoryEvent, newCall, sleep, until } from '../support/api.js';
import { buildTestApp, type TestApp } from '../support/app.js';
import { testDatabase } from '../support/postgres.js';

const IDLE_MS = 1500;
const SETTINGS = { HOLD_CHECK_SECONDS: '0.2', IDLE_CALL_SECONDS: String(IDLE_MS / 1000) };

const dir = mkdtempSync(join(tmpdir(), 'callflow-idle-'));
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  rmSync(dir, { recursive: true, force: true });
});

interface Backend {
  name: string;
  /** A database URL two apps may share (for SQLite: one app at a time). */
  url(): Promise<string>;
  shared: boolean;
}

const postgres: Backend = {
  name: 'postgres',
  shared: true,
  async url() {
    const db = await testDatabase('idle');
    cleanups.push(() => db.drop());
    return db.url;
  },
};

const backends: Backend[] = [
  { name: 'sqlite file', shared: false, url: async () => `sqlite:${join(dir, `idle-${Math.random()}.db`)}` },
  postgres,
];

async function open(url: string): Promise<TestApp> {
  const app = await buildTestApp({ ...SETTINGS, DATABASE_URL: url });
  return app;
}

/** When the last event from a client was recorded. */
const lastApiAt = (history: HistoryEvent[]) =>
  Math.max(...history.filter((h) => h.source !== 'timer').map((h) => Date.parse(h.at)));

const idleEnds = (history: HistoryEvent[]) => history.filter((h) => h.type === 'call.idle');

async function endedHistory(app: TestApp, callId: string, timeoutMs = 6000) {
  return until(
    async () => {
      const history = await getHistory(app, callId);
      return idleEnds(history).length > 0 ? history : null;
    },
    { timeoutMs, message: `call ${callId} ended as idle` },
  );
}

describe.each(backends)('idle calls on $name', (backend) => {
  it('a call left on hold ends as abandoned after IDLE_CALL_SECONDS, despite the hold checks', async () => {
    const app = await open(await backend.url());
    try {
      const published: { version: number; endReason: string | null }[] = [];
      const { callId } = await newCall(app, { customer: NAME });
      app.calls.bus.subscribe(callId, (message) => {
        if (message.kind === 'view')
          published.push({ version: message.view.version, endReason: message.view.endReason });
      });
      await apply(app, callId, { type: 'call.hold' });
      const history = await endedHistory(app, callId);
      const lastApi = lastApiAt(history);
      // The history row is in the store a moment before the service's cached view follows it
      // (the commit resolves, then the cache is set); a read in that gap sees the call on hold.
      const view = await until(
        async () => {
          const current = await getView(app, callId);
          return current.status === 'ended' ? current : null;
        },
        { timeoutMs: 2000, message: `view of ${callId} ended` },
      );

      expect(view).toMatchObject({ status: 'ended', endReason: 'abandoned', allowedEvents: [], timers: [] });
      const end = idleEnds(history);
      expect(end).toHaveLength(1);
      expect(end[0]).toMatchObject({ type: 'call.idle', source: 'timer', data: {}, id: null, state: 'ended' });
      // The hold check fired meanwhile, and did not count as activity.
      const checks = history.filter((h) => h.type === 'hold.check');
      expect(checks.length).toBeGreaterThanOrEqual(4);
      const endedAt = Date.parse(end[0]?.at ?? '');
      expect(endedAt - lastApi).toBeGreaterThanOrEqual(IDLE_MS);
      expect(endedAt - lastApi).toBeLessThan(IDLE_MS + 1500);
      // Published on the stream bus, as the last version.
      expect(published.at(-1)).toEqual({ version: view.version, endReason: 'abandoned' });
      // Nothing more fires: no job of the call is left.
      const jobs = await app.store.query('SELECT timer_id FROM jobs WHERE call_id = ?', [callId]);
      expect(jobs).toEqual([]);
      await sleep(500);
      expect((await getHistory(app, callId)).length).toBe(history.length);
    } finally {
      await app.close();
    }
  });

  it('a call that gets API events lives on, then ends once they stop', async () => {
    const app = await open(await backend.url());
    try {
      const { callId } = await newCall(app);
      await apply(app, callId, { type: 'call.hold' });
      const started = Date.now();
      // Events every 0.5 s for 2.5 s: longer than the idle time, never idle for it.
      while (Date.now() - started < 2500) {
        await sleep(500);
        await apply(app, callId, { type: 'customer.speech' });
      }
      expect((await getView(app, callId)).status).toBe('active');
      const history = await endedHistory(app, callId);
      expect(idleEnds(history)).toHaveLength(1);
      expect(history.filter((h) => h.type === 'customer.speech').length).toBeGreaterThanOrEqual(4);
      expect(Date.parse(idleEnds(history)[0]?.at ?? '') - lastApiAt(history)).toBeGreaterThanOrEqual(IDLE_MS);
    } finally {
      await app.close();
    }
  });

  it('a call ended otherwise leaves no idle job behind', async () => {
    const app = await open(await backend.url());
    try {
      const { callId } = await newCall(app);
      const jobsOf = () => app.store.query('SELECT timer_id FROM jobs WHERE call_id = ?', [callId]);
      const armed = await app.store.query('SELECT due_at FROM jobs WHERE call_id = ?', [callId]);
      expect(await jobsOf()).toEqual([{ timer_id: 'idle' }]);
      // Events write nothing to the job: it is still due when the create armed it.
      for (const type of ['answer.given', 'customer.prank', 'customer.no-card']) await apply(app, callId, { type });
      expect(await app.store.query('SELECT due_at FROM jobs WHERE call_id = ?', [callId])).toEqual(armed);
      await apply(app, callId, { type: 'call.hangup' });
      expect(await jobsOf()).toEqual([]);
      expect((await getView(app, callId)).endReason).toBe('hangup');
    } finally {
      await app.close();
    }
  });

  it('a restart midway still ends the call, once', async () => {
    const url = await backend.url();
    let app = await open(url);
    const { callId } = await newCall(app);
    await apply(app, callId, { type: 'call.hold' });
    await sleep(500);
    await app.close();
    app = await open(url);
    try {
      const history = await endedHistory(app, callId);
      await sleep(600);
      const after = await getHistory(app, callId);
      expect(idleEnds(after)).toHaveLength(1);
      expect(after.length).toBe(history.length);
      expect((await getView(app, callId)).endReason).toBe('abandoned');
    } finally {
      await app.close();
    }
  });
});

describe('idle calls on two nodes', () => {
  it('two nodes on one PostgreSQL end it once', async () => {
    const url = await postgres.url();
    const [a, b] = [await open(url), await open(url)];
    try {
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) {
        const { callId } = await newCall(i % 2 ? a : b);
        await apply(i % 2 ? b : a, callId, { type: 'call.hold' });
        ids.push(callId);
      }
      for (const callId of ids) await endedHistory(a, callId);
      await sleep(800);
      for (const callId of ids) {
        const history = await getHistory(b, callId);
        expect(idleEnds(history), callId).toHaveLength(1);
        expect(history.map((h) => h.seq)).toEqual(history.map((_, i) => i + 1));
      }
    } finally {
      await a.close();
      await b.close();
    }
  });
});
