/**
 * Event ids (SPEC §3): the same id again returns the stored result with `"replayed": true`
 * and changes nothing, also after the call has ended; the same id with another body is a 409.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { apply, getHistory, getView, newCall, problemOf, sendEvent, type View } from '../support/api.js';
import { buildTestApp, type TestApp } from '../support/app.js';
import { beforeFirstTest } from '../support/hooks.js';
import { testDatabase } from '../support/postgres.js';
import { NAME, named } from './texts.js';

/**
 * Every store: a new key is never looked up before the commit (the store's unique index
 * refuses a taken one), so replays must come out the same from SQLite written in-thread, SQLite
 * written by its writer thread, and a shared PostgreSQL store.
 */
const STORES: { name: string; open(): Promise<{ env: Record<string, string>; cleanup(): Promise<void> }> }[] = [
  { name: 'SQLite in memory', open: async () => ({ env: {}, cleanup: async () => {} }) },
  {
    name: 'SQLite file',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'callflow-idempotency-'));
      return {
        env: { DATABASE_URL: `sqlite:${join(dir, 'calls.db')}` },
        cleanup: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'PostgreSQL',
    async open() {
      const db = await testDatabase('idempotency');
      return { env: { DATABASE_URL: db.url }, cleanup: () => db.drop() };
    },
  },
];

let app: TestApp;

async function replay(callId: string, body: Record<string, unknown>): Promise<View> {
  const res = await sendEvent(app, callId, body);
  expect(res.statusCode, res.body).toBe(200);
  const view = res.json() as View;
  expect(view.replayed).toBe(true);
  return view;
}

describe.each(STORES)('replays on $name', (store) => {
  let cleanup: () => Promise<void> = async () => {};
  beforeFirstTest(async () => {
    const opened = await store.open();
    cleanup = opened.cleanup;
    app = await buildTestApp({ HOLD_CHECK_SECONDS: '60', ...opened.env });
  });
  afterAll(async () => {
    await app?.close();
    await cleanup();
  });

  it('the same id again returns the stored result, replayed: true, version and history unchanged', async () => {
    const { callId } = await newCall(app, { customer: NAME });
    const first = await apply(app, callId, { type: 'call.hold', id: 'hold-1' });
    expect(first.replayed).toBeUndefined();
    const history = await getHistory(app, callId);
    for (let i = 0; i < 3; i++) {
      const again = await replay(callId, { type: 'call.hold', id: 'hold-1' });
      expect(again).toMatchObject({ version: 1, state: first.state, prompts: first.prompts, replayed: true });
    }
    expect(await getHistory(app, callId)).toEqual(history);
    expect((await getView(app, callId)).version).toBe(1);
  });

  it('ids stay unique on a call with many events (past what the service keeps in memory)', async () => {
    const { callId } = await newCall(app);
    for (let i = 1; i <= 80; i++) await apply(app, callId, { type: 'customer.no-card', id: `many-${i}` });
    await apply(app, callId, { type: 'call.hold', id: 'many-hold' });
    await apply(app, callId, { type: 'call.unhold', id: 'many-unhold' });
    for (const i of [1, 40, 80]) {
      expect(await replay(callId, { type: 'customer.no-card', id: `many-${i}` })).toMatchObject({ version: i });
    }
    // Not allowed now (no hold), but a known key: replayed, not refused.
    expect(await replay(callId, { type: 'call.unhold', id: 'many-unhold' })).toMatchObject({ version: 82 });
    problemOf(await sendEvent(app, callId, { type: 'customer.prank', id: 'many-3' }), 409);
    expect((await getView(app, callId)).version).toBe(82);
  });

  it('a replay of an older event answers with that event result, not the current view', async () => {
    const { callId } = await newCall(app, { customer: NAME });
    const located = await apply(app, callId, { type: 'customer.location-question', id: 'loc' });
    await apply(app, callId, { type: 'call.hold', id: 'hold' });
    await apply(app, callId, { type: 'call.unhold', id: 'unhold' });
    const again = await replay(callId, { type: 'customer.location-question', id: 'loc' });
    expect(again.version).toBe(1);
    expect(again.prompts).toEqual(located.prompts);
    expect(again.prompts[0]?.text).toBe(named('info.location'));
    expect(again.state).toEqual(located.state);
    const current = await getView(app, callId);
    expect(current.version).toBe(3);
    expect(current.prompts[0]?.key).toBe('hold.return');
  });

  it('replays an event that would not be allowed now, and one on an ended call', async () => {
    const { callId } = await newCall(app);
    const held = await apply(app, callId, { type: 'call.hold', id: 'a' });
    await apply(app, callId, { type: 'call.unhold', id: 'b' });
    // call.unhold is not allowed now, but its id is known: a replay, not a 409.
    expect((await replay(callId, { type: 'call.unhold', id: 'b' })).version).toBe(2);
    const ended = await apply(app, callId, { type: 'call.hangup', id: 'c', data: { by: 'customer' } });
    expect(ended.status).toBe('ended');
    const history = await getHistory(app, callId);
    const replayedHold = await replay(callId, { type: 'call.hold', id: 'a' });
    expect(replayedHold).toMatchObject({ version: 1, prompts: held.prompts, status: 'active' });
    const replayedEnd = await replay(callId, { type: 'call.hangup', id: 'c', data: { by: 'customer' } });
    expect(replayedEnd).toMatchObject({ version: 3, status: 'ended', endReason: 'hangup' });
    expect(await getHistory(app, callId)).toEqual(history);
    // A new id on the ended call is still a 409.
    problemOf(await sendEvent(app, callId, { type: 'call.hangup', id: 'd' }), 409);
    // ... and so is a known id with another body.
    problemOf(await sendEvent(app, callId, { type: 'call.hangup', id: 'c', data: { by: 'operator' } }), 409);
  });

  it('data {} and no data are the same body; key order does not matter', async () => {
    const { callId } = await newCall(app);
    await apply(app, callId, { type: 'customer.no-card', id: 'n' });
    await replay(callId, { type: 'customer.no-card', id: 'n', data: {} });
    await apply(app, callId, {
      type: 'customer.identified',
      id: 'i',
      data: { firstName: 'Иван', patronymic: 'Петрович' },
    });
    await replay(callId, { id: 'i', data: { patronymic: 'Петрович', firstName: 'Иван' }, type: 'customer.identified' });
    expect((await getView(app, callId)).version).toBe(2);
  });

  it('ids are per call: the same id on another call is a new event', async () => {
    const one = await newCall(app);
    const two = await newCall(app);
    await apply(app, one.callId, { type: 'call.hold', id: 'shared' });
    const other = await apply(app, two.callId, { type: 'customer.prank', id: 'shared' });
    expect(other.replayed).toBeUndefined();
    expect(other.version).toBe(1);
  });

  it('events without an id are never deduplicated', async () => {
    const { callId } = await newCall(app);
    await apply(app, callId, { type: 'customer.location-question' });
    const second = await apply(app, callId, { type: 'customer.location-question' });
    expect(second.version).toBe(2);
    expect(second.replayed).toBeUndefined();
  });
});
