/**
 * SPEC §9, Asterisk: the service on the ARI event WebSocket of a fake Asterisk that speaks the
 * real protocol (test/support/fake-ari.ts, built from Asterisk's own models). A whole call, a
 * dropped socket with a replay, the application taken by another client, and bad input.
 */

import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { apply, createCall, getHistory, getView, type HistoryEvent, sleep, until } from '../support/api.js';
import { buildTestApp, type TestApp } from '../support/app.js';
import { type AriChannel, FakeAri } from '../support/fake-ari.js';
import { beforeFirstTest } from '../support/hooks.js';
import { adapterCounts, apiEntries, comparableView, connectedGauge, shape, untilCounted } from './helpers.js';

const CREDENTIALS = { username: 'callflow', password: 'pa:ss word' };
const env = (ari: FakeAri, extra: Record<string, string> = {}) => ({
  ARI_URL: ari.url,
  ARI_USERNAME: CREDENTIALS.username,
  ARI_PASSWORD: CREDENTIALS.password,
  ...extra,
});

let ari: FakeAri;
let app: TestApp;
let channelNo = 1732540000;
/** Channel ids as Asterisk makes them: `<epoch>.<n>`. */
const nextId = () => `${channelNo++}.${channelNo % 97}`;

const NAME = { CALLFLOW_FIRST_NAME: 'Иван', CALLFLOW_PATRONYMIC: 'Петрович', CALLFLOW_OPERATOR: 'op-7' };

beforeFirstTest(async () => {
  ari = await FakeAri.start(CREDENTIALS);
  app = await buildTestApp(env(ari));
  await ari.waitForConnections(1);
});

afterAll(async () => {
  await app?.close();
  await ari?.close();
});

const history = (callId: string) => getHistory(app, callId);
const untilHistory = (callId: string, predicate: (h: HistoryEvent[]) => boolean, message: string) =>
  until(
    async () => {
      const res = await app.inject({ method: 'GET', url: `/v1/calls/${callId}/history` });
      if (res.statusCode !== 200) return null;
      const events = (res.json() as { events: HistoryEvent[] }).events;
      return predicate(events) ? events : null;
    },
    { message, timeoutMs: 10_000 },
  );
const has =
  (type: string, source = 'api') =>
  (h: HistoryEvent[]) =>
    h.some((e) => e.type === type && e.source === source);

/** A customer's channel in Stasis and an operator's leg bridged with it. */
function legs(channelvars: Record<string, string> = NAME): { customer: AriChannel; operator: AriChannel } {
  const customer = ari.channel(nextId(), { language: 'ru', channelvars });
  const operator = ari.channel(nextId(), { name: 'PJSIP/operator-7-00000002', language: 'ru' });
  return { customer, operator };
}

describe('a whole call through ARI', () => {
  it('start, hold on the operator leg, the 0.2 s check, talking during hold, unhold, hangup: as if posted by hand', async () => {
    const before = await adapterCounts(app, 'asterisk');
    const { customer, operator } = legs();
    const bridge = ari.bridge(`bridge-${customer.id}`);

    ari.send(ari.stasisStart(customer));
    const started = await until(
      async () => {
        const res = await app.inject({ method: 'GET', url: `/v1/calls/${customer.id}` });
        return res.statusCode === 200 ? res.json() : null;
      },
      { message: 'call created by StasisStart' },
    );
    expect(started).toMatchObject({
      callId: customer.id,
      status: 'active',
      version: 0,
      locale: 'ru',
      customer: { firstName: 'Иван', patronymic: 'Петрович' },
      operatorId: 'op-7',
      prompts: [{ key: 'greeting' }],
    });
    // Talk detection switched on for the call's channel, through ARI's REST call.
    await until(() => ari.variableCalls.some((c) => c.channelId === customer.id), { message: 'TALK_DETECT(set)' });
    expect(ari.variableCalls.filter((c) => c.channelId === customer.id)).toEqual([
      { channelId: customer.id, variable: 'TALK_DETECT(set)', value: '' },
    ]);

    // The operator's leg enters Stasis as a leg, not a call, and both share a bridge.
    ari.send(
      ari.stasisStart(operator, ['operator']),
      ari.enteredBridge(bridge, customer),
      ari.enteredBridge(bridge, operator),
    );
    // The operator presses hold on their phone: the hold is raised on their leg.
    ari.send(ari.hold(operator, 'default'));
    await untilHistory(customer.id, has('hold.check', 'timer'), 'the hold check fired by itself');
    ari.send(ari.talkingStarted(customer));
    await untilHistory(customer.id, has('customer.speech'), 'talking during hold');
    ari.send(ari.talkingFinished(customer, 1800), ari.unhold(operator));
    await untilHistory(customer.id, has('call.unhold'), 'unhold');
    // Talking while not on hold changes nothing.
    ari.send(ari.talkingStarted(customer));
    ari.send(ari.hangupRequest(customer, 16), ari.stasisEnd(customer), ari.destroyed(customer, 16, 'Normal Clearing'));
    const counts = await untilCounted(app, 'asterisk', before.total + 12);

    const events = await history(customer.id);
    const speech = events.find((e) => e.type === 'customer.speech');
    expect(speech?.prompts.map((p) => p.key)).toEqual(['hold.check']);
    expect(events.find((e) => e.type === 'call.unhold')?.prompts.map((p) => p.key)).toEqual(['hold.return']);
    expect(events.at(-1)).toMatchObject({ type: 'call.hangup', data: { by: 'customer' }, source: 'api' });
    for (const e of events.filter((x) => x.source === 'api')) expect(e.id).toMatch(/^ari:/);
    const view = await getView(app, customer.id);
    expect(view).toMatchObject({ status: 'ended', endReason: 'hangup' });

    // The same call posted by hand.
    const byHand = `hand-${customer.id}`;
    await createCall(app, {
      callId: byHand,
      customer: { firstName: 'Иван', patronymic: 'Петрович' },
      locale: 'ru',
      operatorId: 'op-7',
    });
    await apply(app, byHand, { type: 'call.hold', id: 'h1' });
    await untilHistory(byHand, has('hold.check', 'timer'), 'the hold check by hand');
    await apply(app, byHand, { type: 'customer.speech', id: 'h2' });
    await apply(app, byHand, { type: 'call.unhold', id: 'h3' });
    await apply(app, byHand, { type: 'call.hangup', id: 'h4', data: { by: 'customer' } });
    const handHistory = await history(byHand);
    expect(apiEntries(events)).toEqual(apiEntries(handHistory));
    expect(shape(events)).toEqual(shape(handHistory));
    expect(comparableView(view)).toEqual(comparableView(await getView(app, byHand)));

    // Every event counted by type and outcome.
    const delta = (type: string, outcome: string) => counts.count(type, outcome) - before.count(type, outcome);
    expect(delta('StasisStart', 'applied')).toBe(1);
    expect(delta('StasisStart', 'not_a_call')).toBe(1);
    expect(delta('ChannelEnteredBridge', 'unmapped')).toBe(2);
    expect(delta('ChannelHold', 'applied')).toBe(1);
    expect(delta('ChannelTalkingStarted', 'applied')).toBe(1);
    expect(delta('ChannelTalkingStarted', 'not_allowed')).toBe(1);
    expect(delta('ChannelTalkingFinished', 'unmapped')).toBe(1);
    expect(delta('ChannelUnhold', 'applied')).toBe(1);
    expect(delta('ChannelHangupRequest', 'applied')).toBe(1);
    expect(delta('StasisEnd', 'ended')).toBe(1);
    expect(delta('ChannelDestroyed', 'ended')).toBe(1);
  });

  it('/readyz and /metrics show the connection', async () => {
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({
      status: 'ready',
      adapters: {
        asterisk: { enabled: true, leader: true, state: 'connected', lastError: null },
        freeswitch: { enabled: false, state: 'off' },
      },
    });
    expect(await connectedGauge(app, 'asterisk')).toBe(1);
    expect(await connectedGauge(app, 'freeswitch')).toBe(0);
    // The socket authenticated as SPEC §9 says: api_key in the query.
    expect(ari.current()?.auth).toBe('api_key');
  });

  it('a channel that is not English or Russian gets the default locale; a name or operator the API would refuse is dropped', async () => {
    const customer = ari.channel(nextId(), {
      language: 'de',
      channelvars: { CALLFLOW_FIRST_NAME: 'x'.repeat(101), CALLFLOW_OPERATOR: 'оператор 7' },
    });
    ari.send(ari.stasisStart(customer));
    const view = await until(async () => {
      const res = await app.inject({ method: 'GET', url: `/v1/calls/${customer.id}` });
      return res.statusCode === 200 ? res.json() : null;
    });
    expect(view).toMatchObject({ locale: 'ru', customer: null, operatorId: null, status: 'active' });
    const en = ari.channel(nextId(), { language: 'en_GB' });
    ari.send(ari.stasisStart(en));
    const enView = await until(async () => {
      const res = await app.inject({ method: 'GET', url: `/v1/calls/${en.id}` });
      return res.statusCode === 200 ? res.json() : null;
    });
    expect(enView).toMatchObject({ locale: 'en' });
  });
});

describe('reconnect', () => {
  it('the socket drops mid-call and the last events come again: nothing applied twice, nothing lost', async () => {
    const { customer, operator } = legs();
    const bridge = ari.bridge(`bridge-${customer.id}`);
    ari.send(ari.stasisStart(customer), ari.enteredBridge(bridge, customer), ari.enteredBridge(bridge, operator));
    ari.send(ari.hold(operator));
    await untilHistory(customer.id, has('call.hold'), 'hold before the drop');
    const before = await adapterCounts(app, 'asterisk');
    const connections = ari.connections.length;

    const droppedAt = Date.now();
    ari.drop(3); // the two bridge events and the hold come again
    // While the socket is down: the operator takes the call off hold (delivered after reconnect).
    ari.send(ari.unhold(operator));
    await ari.waitForConnections(connections + 1);
    const reconnectMs = Date.now() - droppedAt;
    expect(reconnectMs).toBeLessThan(5_000);
    ari.send(ari.hangupRequest(customer, 17));
    await untilCounted(app, 'asterisk', before.total + 5);

    const events = await history(customer.id);
    const api = events.filter((e) => e.source === 'api');
    expect(api.map((e) => e.type)).toEqual(['call.hold', 'call.unhold', 'call.hangup']);
    expect(api.at(-1)?.data).toEqual({ by: 'network' });
    const after = await adapterCounts(app, 'asterisk');
    expect(after.count('ChannelHold', 'duplicate') - before.count('ChannelHold', 'duplicate')).toBe(1);
    expect(after.count('ChannelUnhold', 'applied') - before.count('ChannelUnhold', 'applied')).toBe(1);
    // The bridge was learnt again (GET /ari/bridges at connect, then the replayed events).
    expect(ari.restCalls.filter((c) => c.path === '/ari/bridges').length).toBeGreaterThanOrEqual(2);
  });

  it('a bridge joined while the socket was down is learnt at reconnect (GET /ari/bridges)', async () => {
    const { customer, operator } = legs();
    const bridge = ari.bridge(`bridge-${customer.id}`);
    ari.send(ari.stasisStart(customer), ari.enteredBridge(bridge, customer));
    await untilHistory(customer.id, () => true, 'call created');
    const connections = ari.connections.length;
    ari.drop(0);
    // Asterisk does not replay what happened meanwhile: the operator's leg joins unseen.
    ari.enteredBridge(bridge, operator);
    await ari.waitForConnections(connections + 1);
    ari.send(ari.hold(operator));
    await untilHistory(customer.id, has('call.hold'), 'hold raised on a leg known only from GET /ari/bridges');
  });
});

describe('bad input on the socket', () => {
  it('malformed frames, unknown types, other channels and ended calls are counted and skipped; the connection survives', async () => {
    const { customer } = legs({});
    ari.send(ari.stasisStart(customer), ari.hangupRequest(customer, 16));
    await untilHistory(customer.id, has('call.hangup'), 'a call that ended');
    const before = await adapterCounts(app, 'asterisk');
    const connection = ari.current();

    ari.sendRaw('{"type": "ChannelHold", "channel": {"id": ');
    ari.sendRaw('[1, 2, 3]');
    ari.sendRaw(JSON.stringify({ type: 'StasisStart', application: 'callflow', timestamp: ari.tick(), args: [] }));
    ari.send({ type: 'ChannelTeleported', application: 'callflow', timestamp: ari.tick() });
    const stranger = ari.channel(nextId());
    ari.send(ari.hangupRequest(stranger, 16));
    ari.send(ari.hold(customer));
    // Still connected: the next call goes through.
    const next = ari.channel(nextId());
    ari.send(ari.stasisStart(next));
    await untilHistory(next.id, () => true, 'a call after bad input');
    const after = await untilCounted(app, 'asterisk', before.total + 7);

    const delta = (type: string, outcome: string) => after.count(type, outcome) - before.count(type, outcome);
    expect(delta('malformed', 'malformed')).toBe(3);
    expect(delta('other', 'unknown_type')).toBe(1);
    expect(delta('ChannelHangupRequest', 'not_a_call')).toBe(1);
    expect(delta('ChannelHold', 'ended')).toBe(1);
    expect(ari.current()).toBe(connection);
    expect((await getView(app, customer.id)).version).toBe(1);
  });
});

describe('ApplicationReplaced', () => {
  it('another client takes the application: the adapter stops and does not fight for it', async () => {
    const other = await FakeAri.start({ ...CREDENTIALS, app: 'shared' });
    const node = await buildTestApp(env(other, { ARI_APP: 'shared' }));
    try {
      await other.waitForConnections(1);
      const intruder = new WebSocket(`${other.url.replace('http', 'ws')}/ari/events?app=shared`, {
        headers: {
          authorization: `Basic ${Buffer.from(`${CREDENTIALS.username}:${CREDENTIALS.password}`).toString('base64')}`,
        },
      });
      await new Promise((resolve, reject) => intruder.once('open', resolve).once('error', reject));
      await until(
        async () =>
          (await node.inject({ method: 'GET', url: '/readyz' })).json().adapters.asterisk.state === 'replaced',
        {
          message: 'replaced',
        },
      );
      // Past the first two backoff delays: no new connection was tried.
      await sleep(3_500);
      expect(other.connections.length).toBe(2);
      expect(other.connections[1]?.auth).toBe('basic');
      expect(await connectedGauge(node, 'asterisk')).toBe(0);
      intruder.close();
    } finally {
      await node.close();
      await other.close();
    }
  });
});

describe('ARI_TALK_DETECT=false and a wrong password', () => {
  it('no TALK_DETECT call when switched off', async () => {
    const other = await FakeAri.start({ ...CREDENTIALS, app: 'quiet' });
    const node = await buildTestApp(env(other, { ARI_APP: 'quiet', ARI_TALK_DETECT: 'false' }));
    try {
      await other.waitForConnections(1);
      const customer = other.channel(nextId());
      other.send(other.stasisStart(customer));
      await until(
        async () => (await node.inject({ method: 'GET', url: `/v1/calls/${customer.id}` })).statusCode === 200,
      );
      await sleep(200);
      expect(other.variableCalls).toEqual([]);
    } finally {
      await node.close();
      await other.close();
    }
  });

  it('a refused login is shown on /readyz and retried with backoff, never connected', async () => {
    const other = await FakeAri.start(CREDENTIALS);
    const node = await buildTestApp({ ...env(other), ARI_PASSWORD: 'wrong' });
    try {
      const status = await until(async () => {
        const asterisk = (await node.inject({ method: 'GET', url: '/readyz' })).json().adapters.asterisk;
        return asterisk.lastError ? asterisk : null;
      });
      expect(status.state).toBe('connecting');
      expect(status.lastError).toContain('401');
      expect(JSON.stringify(status)).not.toContain('wrong');
      expect(other.connections).toEqual([]);
    } finally {
      await node.close();
      await other.close();
    }
  });
});
