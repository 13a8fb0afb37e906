/**
 * Personal-data erasure (SPEC §10) on a SQLite file and on PostgreSQL. Two calls, each with a
 * name and an unknown topic of its own; one is erased. Afterwards its name and topic are in no
 * API answer of that call (view, history, stream catch-up), in no stored row, and, on SQLite,
 * in no byte of the database, WAL or shm file; the other call keeps them. The erasure log names
 * call, reason and kinds and nothing else. Retention erases ended calls and not active ones.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { type HistoryEvent, problemOf, sleep, uniqueId, until, type View } from '../support/api.js';
import type { TestApp } from '../support/app.js';
import { testDatabase } from '../support/postgres.js';

const ADMIN = 'erase-admin';
const OPERATOR = 'erase-operator';
const auth = (token: string) => ({ authorization: `Bearer ${token}` });

const dir = mkdtempSync(join(tmpdir(), 'callflow-erasure-'));
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  rmSync(dir, { recursive: true, force: true });
});

interface Backend {
  name: string;
  url(): Promise<string>;
  /** The SQLite file, to read its bytes. */
  file?: (url: string) => string;
}

const backends: Backend[] = [
  {
    name: 'sqlite file',
    url: async () => `sqlite:${join(dir, `erase-${Math.random()}.db`)}`,
    file: (url) => url.slice('sqlite:'.length),
  },
  {
    name: 'postgres',
    async url() {
      const db = await testDatabase('erasure');
      cleanups.push(() => db.drop());
      return db.url;
    },
  },
];

/** An app whose log lines are kept (level trace) to be searched for names. */
async function open(url: string, env: Record<string, string> = {}) {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const config = loadConfig({
    DATABASE_URL: url,
    LOG_LEVEL: 'trace',
    HOLD_CHECK_SECONDS: '0.2',
    API_TOKENS: `${ADMIN}:admin,${OPERATOR}:operator`,
    ...env,
  });
  const app = (await buildApp(config, {
    logger: {
      level: 'trace',
      stream,
      redact: { paths: ['req.headers.authorization', '*.customer', '*.firstName', '*.patronymic', '*.body', '*.data'] },
    },
  })) as unknown as TestApp;
  await app.ready();
  return { app, log: () => lines.join('') };
}

/** A call with a name and a topic of its own, on hold with escalations, a few versions long. */
async function personalCall(app: TestApp, tag: string) {
  const person = {
    firstName: `Аграфена${tag}`,
    patronymic: `Гурьяновна${tag}`,
    later: `Евлампий${tag}`,
    topic: `Тема про кредит ${tag}`,
  };
  const callId = uniqueId(`erase-${tag}`);
  const created = await app.inject({
    method: 'POST',
    url: '/v1/calls',
    headers: auth(OPERATOR),
    payload: { callId, customer: { firstName: person.firstName, patronymic: person.patronymic } },
  });
  expect(created.statusCode, created.body).toBe(201);
  const events = [
    { type: 'answer.given' },
    { type: 'customer.unknown-topic', id: `t-${tag}`, data: { topic: person.topic } },
    { type: 'customer.identified', id: `n-${tag}`, data: { firstName: person.later } },
    { type: 'call.hold' },
  ];
  for (const event of events) {
    const res = await app.inject({
      method: 'POST',
      url: `/v1/calls/${callId}/events`,
      headers: { ...auth(OPERATOR), 'content-type': 'application/json' },
      payload: event,
    });
    expect(res.statusCode, res.body).toBe(200);
  }
  return { callId, strings: [person.firstName, person.patronymic, person.later, person.topic] };
}

async function answersOf(app: TestApp, callId: string): Promise<string> {
  const get = (url: string) => app.inject({ method: 'GET', url, headers: auth(OPERATOR) });
  const parts = [
    (await get(`/v1/calls/${callId}`)).body,
    (await get(`/v1/calls/${callId}/history`)).body,
    (await get(`/v1/calls?limit=500`)).body.split(callId).length > 1 ? (await get('/v1/calls?limit=500')).body : '',
    // The stream's catch-up (what GET .../stream sends after Last-Event-ID: 0).
    JSON.stringify(await app.calls.viewsAfter(callId, 0)),
  ];
  return parts.join('\n');
}

/** Every row of the store's tables, as text. */
async function storedRows(app: TestApp): Promise<string> {
  // escalations: the supervisor's desk's (SPEC §8), written for each unknown topic.
  const tables = ['calls', 'history', 'jobs', 'erasures', 'escalations'];
  const rows = await Promise.all(tables.map((t) => app.store.query(`SELECT * FROM ${t}`)));
  return JSON.stringify(rows);
}

function fileBytes(file: string): Buffer {
  return Buffer.concat([file, `${file}-wal`, `${file}-shm`].filter((f) => existsSync(f)).map((f) => readFileSync(f)));
}

async function apply(app: TestApp, callId: string, event: { type: string }) {
  const res = await app.inject({
    method: 'POST',
    url: `/v1/calls/${callId}/events`,
    headers: { ...auth(OPERATOR), 'content-type': 'application/json' },
    payload: event,
  });
  expect(res.statusCode, res.body).toBe(200);
}

async function getView(app: TestApp, callId: string): Promise<View> {
  return (await app.inject({ method: 'GET', url: `/v1/calls/${callId}`, headers: auth(OPERATOR) })).json() as View;
}

async function getHistory(app: TestApp, callId: string): Promise<HistoryEvent[]> {
  const res = await app.inject({ method: 'GET', url: `/v1/calls/${callId}/history`, headers: auth(OPERATOR) });
  return (res.json() as { events: HistoryEvent[] }).events;
}

const erase = (app: TestApp, callId: string, token = ADMIN) =>
  app.inject({ method: 'DELETE', url: `/v1/calls/${encodeURIComponent(callId)}/personal-data`, headers: auth(token) });

describe.each(backends)('erasure on $name', (backend) => {
  it('erases one call’s name and topics from every answer, row and file; the other call keeps its own', async () => {
    const url = await backend.url();
    const { app, log } = await open(url);
    try {
      const erased = await personalCall(app, 'X1');
      const kept = await personalCall(app, 'Y2');
      // Some activity after, so the name's pages are not the WAL's last frames only.
      await sleep(450);

      const file = backend.file?.(url);
      if (file) {
        const before = fileBytes(file);
        for (const s of erased.strings) expect(before.includes(Buffer.from(s)), `${s} on disk before`).toBe(true);
      }
      expect(await answersOf(app, erased.callId)).toContain(erased.strings[0]);

      const res = await erase(app, erased.callId);
      expect(res.statusCode, res.body).toBe(204);
      expect(res.body).toBe('');

      const answers = await answersOf(app, erased.callId);
      const rows = await storedRows(app);
      for (const s of erased.strings) {
        expect(answers, `${s} in an answer`).not.toContain(s);
        expect(rows, `${s} in a stored row`).not.toContain(s);
      }
      // The other call keeps its own.
      const keptAnswers = await answersOf(app, kept.callId);
      for (const s of kept.strings) expect(keptAnswers).toContain(s);

      // Prompts by the no-name rule; counters and the escalation action (without topic) stay.
      const view = await getView(app, erased.callId);
      expect(view.customer).toBeNull();
      expect(view.status).toBe('active');
      expect(view.prompts.length).toBeGreaterThan(0);
      const history = await getHistory(app, erased.callId);
      const erasedRows = history.filter((h) => h.type === 'personal-data.erased');
      expect(erasedRows).toMatchObject([
        { source: 'api', data: { kinds: ['customer-name', 'unknown-topic', 'escalations'] } },
      ]);
      // Hold checks go on meanwhile: the view may be a version behind the history read after it.
      expect(history.at(-1)?.seq).toBeGreaterThanOrEqual(view.version);
      expect(history.map((h) => h.seq)).toEqual(history.map((_, i) => i + 1));
      const escalation = history.find((h) => h.type === 'customer.unknown-topic');
      expect(escalation?.actions).toEqual([{ type: 'supervisor.escalation', topic: '', id: expect.any(String) }]);
      expect(escalation?.data).toEqual({});

      // The call goes on, and its next change does not bring the name back (no stale copy).
      await apply(app, erased.callId, { type: 'customer.speech' });
      expect(await storedRows(app)).not.toContain(erased.strings[0]);

      if (file) {
        const after = fileBytes(file);
        for (const s of erased.strings) expect(after.includes(Buffer.from(s)), `${s} on disk after`).toBe(false);
        expect(after.includes(Buffer.from(kept.strings[0] as string))).toBe(true);
      }
      // Never in a log line, at trace level, before or after.
      for (const s of [...erased.strings, ...kept.strings]) expect(log()).not.toContain(s);
      expect(log()).toContain('personal data erased');
    } finally {
      await app.close();
    }
  });

  it('a second erasure is 204 too; the log lists each, newest first, without personal data', async () => {
    const { app } = await open(await backend.url());
    try {
      const call = await personalCall(app, 'Z3');
      const other = await personalCall(app, 'W4');
      expect((await erase(app, call.callId)).statusCode).toBe(204);
      expect((await erase(app, call.callId)).statusCode).toBe(204);
      expect((await erase(app, other.callId)).statusCode).toBe(204);

      const page1 = await app.inject({ method: 'GET', url: '/v1/erasures?limit=2', headers: auth(ADMIN) });
      expect(page1.statusCode, page1.body).toBe(200);
      const first = page1.json() as { erasures: Record<string, unknown>[]; nextCursor: string | null };
      expect(first.erasures).toHaveLength(2);
      expect(first.erasures[0]).toMatchObject({ callId: other.callId, reason: 'request', by: 'token:0' });
      expect(first.erasures[1]).toMatchObject({ callId: call.callId, reason: 'request', kinds: [] });
      expect(first.nextCursor).toEqual(expect.any(String));
      const page2 = await app.inject({
        method: 'GET',
        url: `/v1/erasures?limit=2&cursor=${first.nextCursor}`,
        headers: auth(ADMIN),
      });
      const second = page2.json() as { erasures: Record<string, unknown>[]; nextCursor: string | null };
      expect(second.erasures).toEqual([
        {
          callId: call.callId,
          reason: 'request',
          at: expect.any(String),
          kinds: ['customer-name', 'unknown-topic', 'escalations'],
          by: 'token:0',
        },
      ]);
      expect(second.nextCursor).toBeNull();
      for (const s of [...call.strings, ...other.strings]) {
        expect(page1.body + page2.body).not.toContain(s);
      }
      problemOf(await app.inject({ method: 'GET', url: '/v1/erasures?cursor=nonsense', headers: auth(ADMIN) }), 400);
      problemOf(await app.inject({ method: 'GET', url: '/v1/erasures?limit=0', headers: auth(ADMIN) }), 400);
    } finally {
      await app.close();
    }
  });

  it("other capabilities' rows are erased in the same transaction, all or nothing", async () => {
    const { app } = await open(await backend.url());
    try {
      await app.store.transaction([
        {
          sql: 'CREATE TABLE IF NOT EXISTS probe_escalations (id TEXT PRIMARY KEY, call_id TEXT NOT NULL, topic TEXT NOT NULL)',
        },
      ]);
      let failing = true;
      app.personalData.hold({
        kind: 'probe-rows',
        async erase(callId) {
          const rows = await app.store.query("SELECT id FROM probe_escalations WHERE call_id = ? AND topic <> ''", [
            callId,
          ]);
          if (rows.length === 0) return [];
          return [
            { sql: "UPDATE probe_escalations SET topic = '' WHERE call_id = ?", params: [callId] },
            // A statement that fails, to show nothing is written then.
            ...(failing
              ? [
                  {
                    sql: 'UPDATE probe_escalations SET topic = ? WHERE call_id = ?',
                    params: ['x', callId],
                    expectChanges: 99,
                  },
                ]
              : []),
          ];
        },
      });
      const call = await personalCall(app, 'H6');
      await app.store.transaction([
        {
          sql: 'INSERT INTO probe_escalations (id, call_id, topic) VALUES (?, ?, ?)',
          params: ['e1', call.callId, call.strings[3] as string],
        },
      ]);
      const failed = await erase(app, call.callId);
      expect(failed.statusCode).toBe(500);
      expect(await storedRows(app)).toContain(call.strings[0]);
      expect(JSON.stringify(await app.store.query('SELECT * FROM probe_escalations'))).toContain(call.strings[3]);

      failing = false;
      expect((await erase(app, call.callId)).statusCode).toBe(204);
      expect(JSON.stringify(await app.store.query('SELECT * FROM probe_escalations'))).not.toContain(call.strings[3]);
      const log = await app.inject({ method: 'GET', url: '/v1/erasures', headers: auth(ADMIN) });
      expect((log.json() as { erasures: { kinds: string[] }[] }).erasures.map((e) => e.kinds)).toEqual([
        ['customer-name', 'unknown-topic', 'escalations', 'probe-rows'],
      ]);
    } finally {
      await app.close();
    }
  });

  it('bad input: an unknown call 404, an invalid id 400, a role other than admin 403, changing nothing', async () => {
    const { app } = await open(await backend.url());
    try {
      const call = await personalCall(app, 'V5');
      problemOf(await erase(app, 'no-such-call'), 404);
      problemOf(await erase(app, 'bad id with spaces'), 400);
      problemOf(await erase(app, call.callId, OPERATOR), 403);
      expect(await answersOf(app, call.callId)).toContain(call.strings[0]);
      const log = await app.inject({ method: 'GET', url: '/v1/erasures', headers: auth(ADMIN) });
      expect((log.json() as { erasures: unknown[] }).erasures).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('retention erases ended calls once, RETENTION_DAYS after they ended, and leaves active ones', async () => {
    // 0.00002 days: 1.728 s.
    const url = await backend.url();
    const { app } = await open(url, { RETENTION_DAYS: '0.00002' });
    try {
      const ended = [await personalCall(app, 'R1'), await personalCall(app, 'R2')];
      const active = await personalCall(app, 'R3');
      for (const call of ended) await apply(app, call.callId, { type: 'call.hangup' });
      const endedAt = Date.now();
      await until(
        async () => {
          const res = await app.inject({ method: 'GET', url: '/v1/erasures', headers: auth(ADMIN) });
          return (res.json() as { erasures: unknown[] }).erasures.length >= 2;
        },
        { timeoutMs: 10_000, message: 'two retention erasures' },
      );
      expect(Date.now() - endedAt).toBeGreaterThanOrEqual(1700);
      await sleep(2500);
      const res = await app.inject({ method: 'GET', url: '/v1/erasures', headers: auth(ADMIN) });
      const lines = (res.json() as { erasures: { callId: string; reason: string; by: unknown }[] }).erasures;
      expect(lines.map((l) => l.callId).sort()).toEqual(ended.map((c) => c.callId).sort());
      expect(lines.every((l) => l.reason === 'retention' && l.by === null)).toBe(true);
      const rows = await storedRows(app);
      for (const call of ended) for (const s of call.strings) expect(rows).not.toContain(s);
      const file = backend.file?.(url);
      if (file) {
        const bytes = fileBytes(file);
        for (const call of ended) for (const s of call.strings) expect(bytes.includes(Buffer.from(s)), s).toBe(false);
        expect(bytes.includes(Buffer.from(active.strings[0] as string))).toBe(true);
      }
      expect(await answersOf(app, active.callId)).toContain(active.strings[0]);
      const history = await getHistory(app, ended[0]?.callId as string);
      expect(history.at(-1)).toMatchObject({ type: 'personal-data.erased', source: 'timer' });
    } finally {
      await app.close();
    }
  });
});

describe('erasure with two nodes on one PostgreSQL', () => {
  it("the other node's cached copy does not bring the name back, and its stream gets the erased view", async () => {
    const db = await testDatabase('erasure_nodes');
    cleanups.push(() => db.drop());
    const a = await open(db.url);
    const b = await open(db.url);
    try {
      const call = await personalCall(a.app, 'N9');
      // Node b reads the call, so it holds a copy with the name.
      await apply(b.app, call.callId, { type: 'customer.speech' });
      const seen: (string | null)[] = [];
      b.app.calls.bus.subscribe(call.callId, (message) => {
        if (message.kind === 'version') seen.push(`v${message.version}`);
      });
      expect((await erase(a.app, call.callId)).statusCode).toBe(204);
      const erasedAt = (await getHistory(a.app, call.callId)).find((h) => h.type === 'personal-data.erased')?.seq;
      await until(() => seen.includes(`v${erasedAt}`), { message: 'node b told of the erasure' });
      // Node b's next events are computed from the stored call, not its old copy.
      await apply(b.app, call.callId, { type: 'call.unhold' });
      await apply(b.app, call.callId, { type: 'customer.prank' });
      const rows = await storedRows(b.app);
      for (const s of call.strings) expect(rows).not.toContain(s);
      const view = await getView(b.app, call.callId);
      expect(view.customer).toBeNull();
    } finally {
      await a.app.close();
      await b.app.close();
    }
  });
});
