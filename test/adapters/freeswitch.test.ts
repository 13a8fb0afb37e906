/**
 * SPEC §9, FreeSWITCH: the service on the inbound event socket of a fake FreeSWITCH that speaks
 * the real protocol (test/support/fake-freeswitch.ts, built from FreeSWITCH's own code). A whole
 * call, a dropped connection with a replay, a refused password, and bad input.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { SUBSCRIBE_COMMAND } from '../../src/adapters/freeswitch/client.js';
import { apply, createCall, getHistory, getView, type HistoryEvent, until } from '../support/api.js';
import { buildTestApp, type TestApp } from '../support/app.js';
import { FakeFreeswitch } from '../support/fake-freeswitch.js';
import { beforeFirstTest } from '../support/hooks.js';
import { adapterCounts, apiEntries, comparableView, connectedGauge, shape, untilCounted } from './helpers.js';

const PASSWORD = 'not-ClueCon';
let fs: FakeFreeswitch;
let app: TestApp;

beforeFirstTest(async () => {
  fs = await FakeFreeswitch.start({ password: PASSWORD });
  app = await buildTestApp({ FREESWITCH_ESL: fs.address, FREESWITCH_PASSWORD: PASSWORD });
  await fs.waitForSubscribed(1);
});

afterAll(async () => {
  await app?.close();
  await fs?.close();
});

const NAME = { CALLFLOW_FIRST_NAME: 'Иван', CALLFLOW_PATRONYMIC: 'Петрович', CALLFLOW_OPERATOR: 'op-7' };

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

describe('the event socket handshake', () => {
  it('auth, then the subscription SPEC §9 names, in json', () => {
    expect(fs.commands.slice(0, 2)).toEqual([`auth ${PASSWORD}`, SUBSCRIBE_COMMAND]);
    expect(SUBSCRIBE_COMMAND).toBe('event json CHANNEL_ANSWER CHANNEL_HOLD CHANNEL_UNHOLD CHANNEL_HANGUP_COMPLETE');
  });

  it('/readyz and /metrics show the connection', async () => {
    // The fake counts the subscription when it reads it; the client is connected once it reads the reply.
    const ready = await until(async () => {
      const body = (await app.inject({ method: 'GET', url: '/readyz' })).json();
      return body.adapters?.freeswitch?.state === 'connected' ? body : null;
    });
    expect(ready.adapters).toMatchObject({
      freeswitch: { enabled: true, leader: true, state: 'connected', lastError: null },
      asterisk: { enabled: false, state: 'off' },
    });
    expect(await connectedGauge(app, 'freeswitch')).toBe(1);
  });
});

describe('a whole call through the event socket', () => {
  it('answer, hold on the operator leg, the 0.2 s check, unhold, hangup: as if posted by hand', async () => {
    const before = await adapterCounts(app, 'freeswitch');
    const customer = fs.inboundLeg({ variables: { ...NAME, default_language: 'ru' } });
    const operator = fs.operatorLeg(customer);

    fs.send(fs.answer(customer), fs.answer(operator));
    const started = await until(async () => {
      const res = await app.inject({ method: 'GET', url: `/v1/calls/${customer.uuid}` });
      return res.statusCode === 200 ? res.json() : null;
    });
    expect(started).toMatchObject({
      callId: customer.uuid,
      status: 'active',
      locale: 'ru',
      customer: { firstName: 'Иван', patronymic: 'Петрович' },
      operatorId: 'op-7',
      prompts: [{ key: 'greeting' }],
    });
    fs.send(fs.hold(operator));
    await untilHistory(customer.uuid, has('hold.check', 'timer'), 'the hold check fired by itself');
    fs.send(fs.unhold(operator));
    // An unhold when not on hold: not allowed now, counted, nothing changes.
    fs.send(fs.unhold(operator));
    fs.send(fs.hangupComplete(operator), fs.hangupComplete(customer, 'NORMAL_CLEARING'));
    const counts = await untilCounted(app, 'freeswitch', before.total + 7);

    const events = await getHistory(app, customer.uuid);
    expect(events.find((e) => e.type === 'call.unhold')?.prompts.map((p) => p.key)).toEqual(['hold.return']);
    expect(events.at(-1)).toMatchObject({ type: 'call.hangup', data: { by: 'customer' } });
    for (const e of events.filter((x) => x.source === 'api')) expect(e.id).toMatch(/^fs:/);
    const view = await getView(app, customer.uuid);
    expect(view).toMatchObject({ status: 'ended', endReason: 'hangup' });

    const byHand = `hand-${customer.uuid}`;
    await createCall(app, {
      callId: byHand,
      customer: { firstName: 'Иван', patronymic: 'Петрович' },
      locale: 'ru',
      operatorId: 'op-7',
    });
    await apply(app, byHand, { type: 'call.hold', id: 'h1' });
    await untilHistory(byHand, has('hold.check', 'timer'), 'the hold check by hand');
    await apply(app, byHand, { type: 'call.unhold', id: 'h2' });
    await apply(app, byHand, { type: 'call.hangup', id: 'h3', data: { by: 'customer' } });
    const handHistory = await getHistory(app, byHand);
    expect(apiEntries(events)).toEqual(apiEntries(handHistory));
    expect(shape(events)).toEqual(shape(handHistory));
    expect(comparableView(view)).toEqual(comparableView(await getView(app, byHand)));

    const delta = (type: string, outcome: string) => counts.count(type, outcome) - before.count(type, outcome);
    expect(delta('CHANNEL_ANSWER', 'applied')).toBe(1);
    expect(delta('CHANNEL_ANSWER', 'not_a_call')).toBe(1); // the operator's outbound leg
    expect(delta('CHANNEL_HOLD', 'applied')).toBe(1);
    expect(delta('CHANNEL_UNHOLD', 'applied')).toBe(1);
    expect(delta('CHANNEL_UNHOLD', 'not_allowed')).toBe(1);
    expect(delta('CHANNEL_HANGUP_COMPLETE', 'not_a_call')).toBe(1);
    expect(delta('CHANNEL_HANGUP_COMPLETE', 'applied')).toBe(1);
  });

  it('a hangup that is not NORMAL_CLEARING is the network', async () => {
    const customer = fs.inboundLeg();
    fs.send(fs.answer(customer), fs.hangupComplete(customer, 'RECOVERY_ON_TIMER_EXPIRE'));
    const events = await untilHistory(customer.uuid, has('call.hangup'), 'hangup');
    expect(events.at(-1)?.data).toEqual({ by: 'network' });
  });
});

describe('reconnect', () => {
  it('the connection drops mid-call and the last events come again: nothing applied twice, nothing lost', async () => {
    const customer = fs.inboundLeg({ variables: NAME });
    const operator = fs.operatorLeg(customer);
    fs.send(fs.answer(customer), fs.hold(operator));
    await untilHistory(customer.uuid, has('call.hold'), 'hold before the drop');
    const before = await adapterCounts(app, 'freeswitch');
    const subscriptions = fs.connections.filter((c) => c.subscribed.size > 0).length;

    const droppedAt = Date.now();
    fs.drop(2); // the answer and the hold come again
    fs.send(fs.unhold(operator)); // sent while down: delivered after the replay
    await fs.waitForSubscribed(subscriptions + 1);
    expect(Date.now() - droppedAt).toBeLessThan(5_000);
    fs.send(fs.hangupComplete(customer));
    await untilCounted(app, 'freeswitch', before.total + 4);

    const events = await getHistory(app, customer.uuid);
    expect(events.filter((e) => e.source === 'api').map((e) => e.type)).toEqual([
      'call.hold',
      'call.unhold',
      'call.hangup',
    ]);
    const after = await adapterCounts(app, 'freeswitch');
    expect(after.count('CHANNEL_ANSWER', 'duplicate') - before.count('CHANNEL_ANSWER', 'duplicate')).toBe(1);
    expect(after.count('CHANNEL_HOLD', 'duplicate') - before.count('CHANNEL_HOLD', 'duplicate')).toBe(1);
    expect(fs.maxConcurrent).toBe(1);
  });
});

describe('bad input on the socket', () => {
  it('malformed frames, a wrong Content-Length, unknown events, other legs and ended calls: counted, skipped, still connected', async () => {
    const ended = fs.inboundLeg();
    fs.send(fs.answer(ended), fs.hangupComplete(ended));
    await untilHistory(ended.uuid, has('call.hangup'), 'a call that ended');
    const before = await adapterCounts(app, 'freeswitch');
    const connection = fs.connections.at(-1);

    const live = fs.inboundLeg({ variables: NAME });
    await fs.writeRaw(Buffer.from('Content-Length: 8\nContent-Type: text/event-json\n\n{oops!!}'));
    // The answer of a live call with a Content-Length 9 bytes short, in small pieces.
    await fs.writeRaw(FakeFreeswitch.frame(fs.answer(live), -9), 5);
    await fs.writeRaw(FakeFreeswitch.frame({ 'Event-Name': 'CHANNEL_HOLD' })); // no Unique-ID
    // A value that is no string (FreeSWITCH serialises every header as one).
    const numbered = { ...fs.hold(live), 'Event-Sequence': 4712 } as unknown as Record<string, string>;
    await fs.writeRaw(FakeFreeswitch.frame(numbered));
    await fs.writeRaw(FakeFreeswitch.frame({ 'Event-Name': 'CHANNEL_TELEPORT', 'Unique-ID': live.uuid }));
    await fs.writeRaw(FakeFreeswitch.frame(fs.channelEvent('CHANNEL_CREATE', live)));
    fs.send(fs.hangupComplete(fs.inboundLeg())); // a leg that is no call
    fs.send(fs.hold(ended)); // a hold on an ended call
    // Still connected: the next call goes through, its answer whole.
    fs.send(fs.answer(live));
    await untilHistory(live.uuid, () => true, 'a call after bad input');
    const after = await untilCounted(app, 'freeswitch', before.total + 9);

    const delta = (type: string, outcome: string) => after.count(type, outcome) - before.count(type, outcome);
    expect(delta('malformed', 'malformed')).toBe(4);
    expect(delta('other', 'unknown_type')).toBe(1);
    expect(delta('CHANNEL_CREATE', 'unmapped')).toBe(1);
    expect(delta('CHANNEL_HANGUP_COMPLETE', 'not_a_call')).toBe(1);
    expect(delta('CHANNEL_HOLD', 'ended')).toBe(1);
    expect(delta('CHANNEL_ANSWER', 'applied')).toBe(1);
    expect(fs.connections.at(-1)).toBe(connection);
    expect(connection?.closedAt).toBeNull();
  });
});

describe('FreeSWITCH ending the connection', () => {
  it('a disconnect notice (FreeSWITCH stopping): the adapter reconnects and the calls go on', async () => {
    const customer = fs.inboundLeg();
    fs.send(fs.answer(customer));
    await untilHistory(customer.uuid, () => true, 'a call before the notice');
    const subscriptions = fs.connections.filter((c) => c.subscribed.size > 0).length;
    const before = await adapterCounts(app, 'freeswitch');
    fs.disconnectAll();
    await fs.waitForSubscribed(subscriptions + 1);
    fs.send(fs.hold(customer));
    await untilHistory(customer.uuid, has('call.hold'), 'a hold after the reconnect');
    expect(fs.maxConcurrent).toBe(1);
    // The notice and its text are a frame, not garbage: nothing counted but the hold.
    const after = await adapterCounts(app, 'freeswitch');
    expect(after.total - before.total).toBe(1);
    expect(after.count('CHANNEL_HOLD', 'applied') - before.count('CHANNEL_HOLD', 'applied')).toBe(1);
  });

  it('an address the ACL refuses (text/rude-rejection): shown on /readyz, retried, never connected', async () => {
    const other = await FakeFreeswitch.start({ password: PASSWORD });
    other.refuseByAcl = true;
    const node = await buildTestApp({ FREESWITCH_ESL: other.address, FREESWITCH_PASSWORD: PASSWORD });
    try {
      const status = await until(async () => {
        const freeswitch = (await node.inject({ method: 'GET', url: '/readyz' })).json().adapters.freeswitch;
        return freeswitch.lastError ? freeswitch : null;
      });
      expect(status).toMatchObject({ state: 'connecting', lastError: expect.stringMatching(/ACL/) });
      await until(() => other.connections.length >= 2, { message: 'tried again' });
      expect(other.commands).toEqual([]);
    } finally {
      await node.close();
      await other.close();
    }
  });
});

describe('a refused password', () => {
  it('is shown on /readyz without the password, and retried with backoff', async () => {
    const other = await FakeFreeswitch.start({ password: 'right' });
    const node = await buildTestApp({ FREESWITCH_ESL: other.address, FREESWITCH_PASSWORD: 'wrong-one' });
    try {
      const status = await until(async () => {
        const freeswitch = (await node.inject({ method: 'GET', url: '/readyz' })).json().adapters.freeswitch;
        return freeswitch.lastError ? freeswitch : null;
      });
      expect(status.state).toBe('connecting');
      expect(status.lastError).toMatch(/refused the password/);
      expect(JSON.stringify(status)).not.toContain('wrong-one');
      expect(other.connections.every((c) => !c.authed)).toBe(true);
    } finally {
      await node.close();
      await other.close();
    }
  });
});
