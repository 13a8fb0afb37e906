/**
 * SPEC §11, script versions through the API, on a SQLite file and on PostgreSQL: version 1 is
 * the shipped script; a publish makes a new version for new calls while calls under way keep
 * theirs (the hold check of a call on hold says its own version's phrase), after a restart too;
 * equal content publishes nothing; an old version's content again is a rollback; a version's
 * limits and transcript words are its own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CATALOGUES } from '../../machines/catalogue.js';
import { NAME, TAILS } from '../api/texts.js';
import { problemOf, until, type View } from '../support/api.js';
import { buildTestApp, type TestApp } from '../support/app.js';
import { beforeFirstTest } from '../support/hooks.js';
import { testDatabase } from '../support/postgres.js';
import { type Script, shippedScript, V2_EN, V2_RU, withHoldCheck } from './helpers.js';

const HOLD_CHECK = '0.3';
const ADMIN = { authorization: 'Bearer admin-token' };
const OPERATOR = { authorization: 'Bearer operator-token' };
const TOKENS = 'operator-token:operator,admin-token:admin';

const STORES: { name: string; open(): Promise<{ env: Record<string, string>; cleanup(): Promise<void> }> }[] = [
  {
    name: 'SQLite',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'callflow-scripts-'));
      return {
        env: { DATABASE_URL: `sqlite:${join(dir, 'calls.db')}` },
        cleanup: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'PostgreSQL',
    async open() {
      const db = await testDatabase('scripts');
      return { env: { DATABASE_URL: db.url }, cleanup: () => db.drop() };
    },
  },
];

interface Version {
  version: number;
  publishedAt: string;
  publishedBy: string;
  summary: string;
  changes: { prompts: string[]; events: string[]; lexicon: string[]; limits: string[] };
  current: boolean;
  catalogues: typeof CATALOGUES;
  limits: { maxRepeats: number; maxConnectionAttempts: number; holdCheckSeconds: number };
  fixedLimits: Record<string, number>;
  published?: boolean;
}

describe.each(STORES)('script versions on $name', (store) => {
  let app: TestApp;
  let env: Record<string, string>;
  let cleanup: () => Promise<void> = async () => {};

  const start = () => buildTestApp({ HOLD_CHECK_SECONDS: HOLD_CHECK, API_TOKENS: TOKENS, ...env });
  const restart = async () => {
    await app.close();
    app = await start();
  };
  const get = async (url: string, status = 200) => {
    const res = await app.inject({ method: 'GET', url, headers: OPERATOR });
    expect(res.statusCode, res.body).toBe(status);
    return res.json();
  };
  const publish = async (script: Script, status: number) => {
    const res = await app.inject({ method: 'PUT', url: '/v1/script', headers: ADMIN, payload: script });
    expect(res.statusCode, res.body).toBe(status);
    return res.json() as Version;
  };
  const created = async (extra: Record<string, unknown> = {}) => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/calls',
      headers: { ...OPERATOR, 'content-type': 'application/json' },
      payload: { callId: `s-${Math.random().toString(36).slice(2)}`, customer: NAME, ...extra },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as View & { scriptVersion: number };
  };
  const event = async (callId: string, type: string) => {
    const res = await app.inject({
      method: 'POST',
      url: `/v1/calls/${callId}/events`,
      headers: { ...OPERATOR, 'content-type': 'application/json' },
      payload: { type },
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as View & { scriptVersion: number };
  };
  const viewOf = async (callId: string) => (await get(`/v1/calls/${callId}`)) as View & { scriptVersion: number };
  const historyOf = async (callId: string) =>
    (
      (await get(`/v1/calls/${callId}/history`)) as {
        events: { type: string; prompts: { key: string; text: string }[] }[];
      }
    ).events;
  /** The text of the hold check once it has fired on a call on hold. */
  const holdCheckSaid = async (callId: string) => {
    const events = await until(
      async () => {
        const history = await historyOf(callId);
        return history.some((e) => e.type === 'hold.check') ? history : null;
      },
      { timeoutMs: 10_000, message: `the hold check of ${callId} did not fire` },
    );
    return events.findLast((e) => e.type === 'hold.check')!.prompts.find((p) => p.key === 'hold.check')!.text;
  };

  beforeFirstTest(async () => {
    const opened = await store.open();
    env = opened.env;
    cleanup = opened.cleanup;
    app = await start();
  });
  afterAll(async () => {
    await app?.close();
    await cleanup();
  });

  it('a new database has the shipped catalogues as version 1, with the deployment’s limits', async () => {
    const script = (await get('/v1/script')) as Version & { locales: string[] };
    expect(script).toMatchObject({ version: 1, current: true, publishedBy: 'shipped', fixedLimits: {} });
    expect(script.catalogues).toEqual(CATALOGUES);
    expect(script.limits).toEqual({ maxRepeats: 3, maxConnectionAttempts: 3, holdCheckSeconds: Number(HOLD_CHECK) });
    expect(script.locales.sort()).toEqual(['en', 'ru']);
    const list = (await get('/v1/script/versions')) as { current: number; versions: Version[] };
    expect(list.current).toBe(1);
    expect(list.versions.map((v) => v.version)).toEqual([1]);
    expect((await created()).scriptVersion).toBe(1);
  });

  it('publishing equal content is a 200 that publishes nothing', async () => {
    const same = await publish(shippedScript(), 200);
    expect(same).toMatchObject({ version: 1, published: false });
    // The limits as GET shows them, given explicitly, are the same script too.
    const explicit = { ...shippedScript(), limits: { maxRepeats: 3, maxConnectionAttempts: 3, holdCheckSeconds: 0.3 } };
    expect(await publish(explicit, 200)).toMatchObject({ version: 1, published: false });
    expect(((await get('/v1/script/versions')) as { versions: Version[] }).versions).toHaveLength(1);
  });

  it('a call on hold keeps its version’s phrase after a publish; a new call takes the new one; a restart changes neither', async () => {
    const before = await created();
    expect(before.scriptVersion).toBe(1);
    await event(before.callId, 'call.hold');

    const v2 = await publish(withHoldCheck(V2_RU, V2_EN), 201);
    expect(v2).toMatchObject({ version: 2, published: true, current: true });
    expect(v2.publishedBy).toMatch(/^admin \(token 2 of API_TOKENS\)$/);
    expect(v2.changes.prompts).toEqual(['ru:hold.check', 'en:hold.check']);
    expect(v2.summary).toContain('ru:hold.check');

    // The call that started on version 1 hears version 1's hold check.
    expect(await holdCheckSaid(before.callId)).toBe(`Иван Петрович, ${TAILS['hold.check']}`);
    expect((await viewOf(before.callId)).scriptVersion).toBe(1);

    const after = await created();
    expect(after.scriptVersion).toBe(2);
    await event(after.callId, 'call.hold');
    expect(await holdCheckSaid(after.callId)).toBe('Иван Петрович, спасибо, что ждёте: я почти закончил');

    const english = await created({ locale: 'en', customer: { firstName: 'John' } });
    await event(english.callId, 'call.hold');
    expect(await holdCheckSaid(english.callId)).toBe('John, thank you for waiting, I am nearly done');

    await restart();
    // Both calls still render from their own version, in their views and their histories...
    expect((await viewOf(before.callId)).scriptVersion).toBe(1);
    expect(await holdCheckSaid(before.callId)).toBe(`Иван Петрович, ${TAILS['hold.check']}`);
    expect(await holdCheckSaid(after.callId)).toBe('Иван Петрович, спасибо, что ждёте: я почти закончил');
    // ...and a new hold check, fired after the restart, says each one's own again.
    for (const callId of [before.callId, after.callId]) {
      await event(callId, 'call.unhold');
      await event(callId, 'call.hold');
    }
    // Every check after the latest hold (a check fires again while the call stays on hold).
    const checksAfterLastHold = async (callId: string) =>
      until(
        async () => {
          const history = await historyOf(callId);
          const lastHold = history.findLastIndex((e) => e.type === 'call.hold');
          const said = history.slice(lastHold).filter((e) => e.type === 'hold.check');
          return said.length > 0 ? said.map((e) => e.prompts.find((p) => p.key === 'hold.check')!.text) : null;
        },
        { timeoutMs: 10_000, message: 'no hold check fired after the restart' },
      );
    for (const text of await checksAfterLastHold(before.callId))
      expect(text).toBe(`Иван Петрович, ${TAILS['hold.check']}`);
    for (const text of await checksAfterLastHold(after.callId))
      expect(text).toBe('Иван Петрович, спасибо, что ждёте: я почти закончил');
    expect((await get('/v1/script')).version).toBe(2);
  });

  it('GET /v1/script?version=N reads an old version; an unknown one is a 404 problem', async () => {
    const v1 = (await get('/v1/script?version=1')) as Version;
    expect(v1).toMatchObject({ version: 1, current: false });
    expect(v1.catalogues.ru.prompts['hold.check']!.text).toBe(CATALOGUES.ru.prompts['hold.check']!.text);
    const v2 = (await get('/v1/script?version=2')) as Version;
    expect(v2.catalogues.ru.prompts['hold.check']!.text).toBe(V2_RU);
    const res = await app.inject({ method: 'GET', url: '/v1/script?version=99', headers: OPERATOR });
    const problem = problemOf(res, 404);
    expect(problem.detail).toMatch(/No script version 99; the current one is 2/);
    expect(problem.type).toBe('https://callflow.dev/problems/script-version-not-found');
    problemOf(await app.inject({ method: 'GET', url: '/v1/script?version=0', headers: OPERATOR }), 400);
    problemOf(await app.inject({ method: 'GET', url: '/v1/script?version=two', headers: OPERATOR }), 400);
  });

  it('publishing version 1’s content again is a rollback: version 3, new calls say version 1’s words', async () => {
    const v1 = (await get('/v1/script?version=1')) as Version;
    const rollback = await publish({ catalogues: v1.catalogues }, 201);
    expect(rollback).toMatchObject({ version: 3, published: true });
    expect(rollback.summary).toMatch(/^Back to version 1: /);
    expect(rollback.catalogues).toEqual(CATALOGUES);
    const call3 = await created();
    expect(call3.scriptVersion).toBe(3);
    await event(call3.callId, 'call.hold');
    expect(await holdCheckSaid(call3.callId)).toBe(`Иван Петрович, ${TAILS['hold.check']}`);
    const list = (await get('/v1/script/versions')) as { current: number; versions: Version[] };
    expect(list.current).toBe(3);
    expect(list.versions.map((v) => [v.version, v.publishedBy.split(' ')[0]])).toEqual([
      [3, 'admin'],
      [2, 'admin'],
      [1, 'shipped'],
    ]);
    for (const v of list.versions) expect(Date.parse(v.publishedAt)).toBeGreaterThan(Date.now() - 600_000);
  });

  it('a version’s limits are its own: a call on a stricter version ends sooner, one on the old version does not', async () => {
    const old = await created();
    const strict = await publish({ ...shippedScript(), limits: { maxRepeats: 1 } }, 201);
    expect(strict.limits.maxRepeats).toBe(1);
    expect(strict.fixedLimits).toEqual({ maxRepeats: 1 });
    expect(strict.changes.limits).toEqual(['maxRepeats 3 → 1']);
    const fresh = await created();
    for (const callId of [old.callId, fresh.callId]) {
      await event(callId, 'answer.given');
      await event(callId, 'customer.repeat-request');
    }
    expect(await event(fresh.callId, 'customer.repeat-request')).toMatchObject({
      status: 'ended',
      endReason: 'repeat-limit',
    });
    expect(await event(old.callId, 'customer.repeat-request')).toMatchObject({ status: 'active' });
    await restart();
    const again = await created();
    await event(again.callId, 'answer.given');
    await event(again.callId, 'customer.repeat-request');
    expect(await event(again.callId, 'customer.repeat-request')).toMatchObject({ endReason: 'repeat-limit' });
    // GET /v1/machine draws the current version's limits.
    expect(((await get('/v1/machine')) as { limits: { maxRepeats: number } }).limits.maxRepeats).toBe(1);
  });

  it('a call’s transcript suggestions use its own version’s words', async () => {
    const old = await created();
    const words = shippedScript();
    words.catalogues.ru.lexicon.events['customer.location-question']!.patterns.push('абракадабра');
    await publish({ ...words, limits: { maxRepeats: 1 } }, 201);
    const fresh = await created();
    const suggested = async (callId: string) => {
      const res = await app.inject({
        method: 'POST',
        url: `/v1/calls/${callId}/utterances`,
        headers: { ...OPERATOR, 'content-type': 'application/json' },
        payload: { speaker: 'customer', text: 'абракадабра' },
      });
      expect(res.statusCode, res.body).toBe(200);
      return (res.json() as { suggestions: { type: string }[] }).suggestions.map((s) => s.type);
    };
    expect(await suggested(fresh.callId)).toContain('customer.location-question');
    expect(await suggested(old.callId)).not.toContain('customer.location-question');
  });

  it('publishing needs the admin role; reading needs an operator', async () => {
    const res = await app.inject({ method: 'PUT', url: '/v1/script', headers: OPERATOR, payload: shippedScript() });
    expect(problemOf(res, 403).detail).toMatch(/admin/);
    problemOf(await app.inject({ method: 'GET', url: '/v1/script' }), 401);
  });
});
