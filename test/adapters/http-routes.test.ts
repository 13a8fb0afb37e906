/**
 * SPEC §9, the HTTP routes for middleware that already consumes the PBX's events:
 * POST /v1/adapters/asterisk/events and /v1/adapters/freeswitch/events take one event or an
 * array and answer 202 {applied, ignored}; the same call as the adapters' own connections, a
 * double post applied once, and bad bodies refused as problem+json with nothing applied.
 * Events come from the fakes' builders (test/support/fake-ari.ts, fake-freeswitch.ts).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { getHistory, getView, type HistoryEvent, problemOf, until } from '../support/api.js';
import { buildTestApp, post, type TestApp } from '../support/app.js';
import { FakeAri } from '../support/fake-ari.js';
import { FsEventBuilder } from '../support/fake-freeswitch.js';
import { beforeFirstTest } from '../support/hooks.js';
import { adapterCounts } from './helpers.js';

const ARI_URL = '/v1/adapters/asterisk/events';
const FS_URL = '/v1/adapters/freeswitch/events';

let app: TestApp;
/** Only its event builders are used: no adapter connects to it (ARI_URL is unset). */
let ari: FakeAri;
const fs = new FsEventBuilder();

beforeFirstTest(async () => {
  ari = await FakeAri.start({ username: 'u', password: 'p' });
  app = await buildTestApp();
});

afterAll(async () => {
  await app?.close();
  await ari?.close();
});

let channelNo = 1732550000;
const nextId = () => `${channelNo++}.${channelNo % 89}`;

const apiTypes = (h: HistoryEvent[]) => h.filter((e) => e.source === 'api').map((e) => e.type);

async function accepted(url: string, body: unknown) {
  const res = await post(app, url, body);
  expect(res.statusCode, res.body).toBe(202);
  return res.json() as { applied: number; ignored: number; outcomes: string[] };
}

describe('POST /v1/adapters/asterisk/events', () => {
  it('a whole call posted event by event, then all of it again as one array with duplicates: applied once', async () => {
    const customer = ari.channel(nextId(), { channelvars: { CALLFLOW_FIRST_NAME: 'Иван', CALLFLOW_OPERATOR: 'op-3' } });
    const operator = ari.channel(nextId(), { name: 'PJSIP/operator-3-00000001' });
    const bridge = ari.bridge(`bridge-${customer.id}`);
    const events = [
      ari.stasisStart(customer),
      ari.enteredBridge(bridge, customer),
      ari.enteredBridge(bridge, operator),
      ari.hold(operator),
      ari.talkingStarted(customer),
      ari.unhold(operator),
      ari.hangupRequest(customer, 16),
      ari.stasisEnd(customer),
    ];
    const one = [];
    for (const event of events) one.push(await accepted(ARI_URL, event));
    expect(one.map((a) => a.outcomes[0])).toEqual([
      'applied',
      'unmapped',
      'unmapped',
      'applied',
      'applied',
      'applied',
      'applied',
      'ended',
    ]);
    expect(one.map((a) => [a.applied, a.ignored])).toEqual([
      [1, 0],
      [0, 1],
      [0, 1],
      [1, 0],
      [1, 0],
      [1, 0],
      [1, 0],
      [0, 1],
    ]);
    const history = await getHistory(app, customer.id);
    expect(apiTypes(history)).toEqual(['call.hold', 'customer.speech', 'call.unhold', 'call.hangup']);
    expect(await getView(app, customer.id)).toMatchObject({
      status: 'ended',
      operatorId: 'op-3',
      customer: { firstName: 'Иван' },
    });

    // A middleware retrying: everything again, some twice, in one array.
    const again = await accepted(ARI_URL, [...events, events[3], events[0]]);
    expect(again).toMatchObject({ applied: 0, ignored: events.length + 2 });
    expect(again.outcomes).toEqual([
      'duplicate',
      'unmapped',
      'unmapped',
      'duplicate',
      'duplicate',
      'duplicate',
      'duplicate',
      'ended',
      'duplicate',
      'duplicate',
    ]);
    expect(await getHistory(app, customer.id)).toEqual(history);
  });

  it('an array applied in its order: a hold and an unhold in one post', async () => {
    const customer = ari.channel(nextId());
    const answer = await accepted(ARI_URL, [ari.stasisStart(customer), ari.hold(customer), ari.unhold(customer)]);
    expect(answer).toEqual({ applied: 3, ignored: 0, outcomes: ['applied', 'applied', 'applied'] });
    expect(apiTypes(await getHistory(app, customer.id))).toEqual(['call.hold', 'call.unhold']);
  });

  it('not for us: an unknown type, a hangup of an unknown channel, a hold on an ended call, an unhold when not on hold', async () => {
    const ended = ari.channel(nextId());
    await accepted(ARI_URL, [ari.stasisStart(ended), ari.hangupRequest(ended, 16)]);
    const live = ari.channel(nextId());
    await accepted(ARI_URL, ari.stasisStart(live));
    const before = await adapterCounts(app, 'asterisk');
    const answer = await accepted(ARI_URL, [
      { type: 'SomethingNew', application: 'callflow', timestamp: '2026-12-02T10:00:00.000+0000' },
      ari.hangupRequest(ari.channel(nextId()), 16),
      ari.hold(ended),
      ari.unhold(live),
    ]);
    expect(answer).toEqual({
      applied: 0,
      ignored: 4,
      outcomes: ['unknown_type', 'not_a_call', 'ended', 'not_allowed'],
    });
    const after = await adapterCounts(app, 'asterisk');
    expect(after.total - before.total).toBe(4);
    expect(after.count('other', 'unknown_type') - before.count('other', 'unknown_type')).toBe(1);
    expect((await getView(app, live.id)).version).toBe(0);
  });
});

describe('POST /v1/adapters/freeswitch/events', () => {
  it('a whole call as one array with duplicates, then again: applied once, as the event socket applies it', async () => {
    const customer = fs.inboundLeg({ variables: { CALLFLOW_FIRST_NAME: 'Анна', CALLFLOW_PATRONYMIC: 'Сергеевна' } });
    const operator = fs.operatorLeg(customer);
    const hold = fs.hold(operator);
    const events = [fs.answer(customer), fs.answer(operator), hold, hold, fs.unhold(operator)];
    const hangup = fs.hangupComplete(customer, 'NORMAL_CLEARING');
    const first = await accepted(FS_URL, [...events, hangup]);
    expect(first).toEqual({
      applied: 4,
      ignored: 2,
      outcomes: ['applied', 'not_a_call', 'applied', 'duplicate', 'applied', 'applied'],
    });
    const again = await accepted(FS_URL, [...events, hangup]);
    expect(again.applied).toBe(0);
    expect(again.outcomes).toEqual(['duplicate', 'not_a_call', 'duplicate', 'duplicate', 'duplicate', 'duplicate']);
    const history = await getHistory(app, customer.uuid);
    expect(apiTypes(history)).toEqual(['call.hold', 'call.unhold', 'call.hangup']);
    expect(history.at(-1)?.data).toEqual({ by: 'customer' });
    expect(await getView(app, customer.uuid)).toMatchObject({
      status: 'ended',
      customer: { firstName: 'Анна', patronymic: 'Сергеевна' },
    });
  });

  it('one object, and a hold timer that fires after a posted hold', async () => {
    const customer = fs.inboundLeg();
    expect(await accepted(FS_URL, fs.answer(customer))).toEqual({ applied: 1, ignored: 0, outcomes: ['applied'] });
    await accepted(FS_URL, fs.hold(customer));
    await until(
      async () => (await getHistory(app, customer.uuid)).some((e) => e.type === 'hold.check' && e.source === 'timer'),
      { message: 'the hold check after a posted hold' },
    );
  });
});

describe('bad bodies: problem+json, nothing applied, counted as malformed', () => {
  const bad = (url: string, payload: string, contentType = 'application/json') =>
    app.inject({ method: 'POST', url, payload, headers: { 'content-type': contentType } });

  it('not JSON: 400; not declared JSON: 415', async () => {
    for (const url of [ARI_URL, FS_URL]) {
      problemOf(await bad(url, '{"type": "StasisStart",'), 400);
      problemOf(await bad(url, 'type=StasisStart', 'text/plain'), 415);
    }
  });

  it.each([
    ['an empty array', ARI_URL, []],
    ['a number', ARI_URL, 42],
    ['an event without a type', ARI_URL, { application: 'callflow' }],
    ['an empty array', FS_URL, []],
    ['an event without Event-Name', FS_URL, { 'Unique-ID': 'x' }],
    [
      'a value that is no string (every value of `event json` is one)',
      FS_URL,
      { 'Event-Name': 'HEARTBEAT', 'Event-Sequence': 7 },
    ],
    ['a nested object', FS_URL, { 'Event-Name': 'HEARTBEAT', variable: { a: '1' } }],
  ])('%s on %s: 400, counted as malformed', async (_name, url, body) => {
    const adapter = url === ARI_URL ? 'asterisk' : 'freeswitch';
    const before = await adapterCounts(app, adapter);
    const res = await post(app, url, body);
    problemOf(res, 400);
    const after = await adapterCounts(app, adapter);
    expect(after.count('malformed', 'malformed') - before.count('malformed', 'malformed')).toBe(1);
    expect(after.total - before.total).toBe(1);
  });

  it('over 1000 events in one array: 400', async () => {
    const events = Array.from({ length: 1001 }, () => ({ 'Event-Name': 'HEARTBEAT' }));
    problemOf(await post(app, FS_URL, events), 400);
  });

  it('a known type without the fields its model requires, inside an array: 400 naming the item, and the good items before it not applied', async () => {
    const customer = ari.channel(nextId());
    const before = await adapterCounts(app, 'asterisk');
    const { channel: _channel, ...holdWithoutChannel } = ari.hold(customer);
    const res = await post(app, ARI_URL, [ari.stasisStart(customer), holdWithoutChannel]);
    const problem = problemOf(res, 400);
    expect(problem.detail).toContain('body[1]');
    expect(problem.detail).toContain('channel');
    const read = await app.inject({ method: 'GET', url: `/v1/calls/${customer.id}` });
    expect(read.statusCode).toBe(404);
    const after = await adapterCounts(app, 'asterisk');
    expect(after.count('malformed', 'malformed') - before.count('malformed', 'malformed')).toBe(1);
    expect(after.count('StasisStart', 'applied')).toBe(before.count('StasisStart', 'applied'));
  });

  it('a mapped FreeSWITCH event without its Unique-ID or timestamp: 400; the detail names fields, never values', async () => {
    const leg = fs.inboundLeg({ variables: { CALLFLOW_FIRST_NAME: 'Секретное' } });
    const { 'Unique-ID': _id, ...answer } = fs.answer(leg);
    const problem = problemOf(await post(app, FS_URL, answer), 400);
    expect(problem.detail).toContain('Unique-ID');
    expect(JSON.stringify(problem)).not.toContain('Секретное');
    const { 'Event-Date-Timestamp': _at, ...hold } = fs.hold(leg);
    problemOf(await post(app, FS_URL, hold), 400);
  });
});
