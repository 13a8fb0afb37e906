/**
 * SPEC §7, delivery, in-process on SQLite: every message of a scripted call arrives signed (the
 * reference `standardwebhooks` library verifies each), shaped as the SPEC says and in version
 * order; retries keep the message id; a receiver that never answers ends in `failed`; 410
 * disables; Retry-After is honoured; a dead endpoint never holds up another; the delivery log
 * records every attempt and never the customer's name; a call ended by its idle job sends its
 * call.ended.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { apply, getHistory, getView, sleep, until, type View } from '../support/api.js';
import { buildTestApp, post, type TestApp } from '../support/app.js';
import { parseMetrics, sampleValue } from '../support/prometheus.js';
import { type Received, type Receiver, startReceiver } from '../support/webhook-receiver.js';

const NAME = { firstName: 'Зинаида', patronymic: 'Аркадьевна' };

interface DeliveryJson {
  id: string;
  type: string;
  callId: string;
  status: 'pending' | 'delivered' | 'failed';
  nextAttemptAt: string | null;
  finishedAt: string | null;
  attempts: { at: string; statusCode: number | null; error: string | null; durationMs: number }[];
}

let n = 0;
const callId = (prefix: string) => `${prefix}-${process.pid}-${++n}`;

async function subscribe(app: TestApp, receiver: Receiver, extra: Record<string, unknown> = {}) {
  const res = await post(app, '/v1/webhooks', { url: receiver.url, ...extra });
  expect(res.statusCode, res.body).toBe(201);
  const endpoint = res.json() as { id: string; secret: string };
  receiver.setSecret(endpoint.secret);
  return endpoint;
}

async function deliveries(app: TestApp, endpointId: string, query = ''): Promise<DeliveryJson[]> {
  const res = await app.inject({ url: `/v1/webhooks/${endpointId}/deliveries?limit=200${query}` });
  expect(res.statusCode, res.body).toBe(200);
  return (res.json() as { deliveries: DeliveryJson[] }).deliveries;
}

const ofCall = (receiver: Receiver, id: string) =>
  receiver.received.filter((d) => (d.message.data.call as View | undefined)?.callId === id);

describe('a scripted call, to one endpoint', () => {
  let app: TestApp;
  let receiver: Receiver;
  let endpointId: string;
  let onlyEnded: Receiver;
  beforeAll(async () => {
    receiver = await startReceiver();
    onlyEnded = await startReceiver();
    app = await buildTestApp({ WEBHOOK_ALLOW_PRIVATE: 'true', HOLD_CHECK_SECONDS: '0.2' });
    endpointId = (await subscribe(app, receiver)).id;
    await subscribe(app, onlyEnded, { types: ['call.ended'] });
  });
  afterAll(async () => {
    await app.close();
    await receiver.close();
    await onlyEnded.close();
  });

  it('every 2xx change arrives once, as SPEC §7 shapes it, in version order, verified', async () => {
    const id = callId('script');
    const created = await post(app, '/v1/calls', { callId: id, customer: NAME });
    expect(created.statusCode).toBe(201);
    const answers: View[] = [created.json() as View];
    for (const type of ['answer.given', 'customer.repeat-request', 'call.hold']) {
      answers.push(await apply(app, id, { type, id: `e-${type}` }));
    }
    // Two hold checks fire by themselves (timer changes are messages too).
    await until(async () => (await getHistory(app, id)).filter((e) => e.type === 'hold.check').length >= 2, {
      message: 'two hold checks',
    });
    answers.push(await apply(app, id, { type: 'call.unhold', id: 'e-unhold' }));
    // Refused (409) and replayed events change nothing, so they send nothing.
    expect((await post(app, `/v1/calls/${id}/events`, { type: 'offer.accepted' })).statusCode).toBe(409);
    expect((await apply(app, id, { type: 'call.unhold', id: 'e-unhold' })).replayed).toBe(true);
    for (let i = 0; i < 2; i++) answers.push(await apply(app, id, { type: 'customer.repeat-request' }));
    const last = await apply(app, id, { type: 'customer.repeat-request', id: 'e-limit' });
    expect(last.status).toBe('ended');

    const history = await getHistory(app, id);
    const final = await getView(app, id);
    // One call.created, one call.updated per applied event, one call.ended.
    const expected = 1 + history.length + 1;
    await until(() => ofCall(receiver, id).length >= expected, { message: `${expected} messages` });
    await sleep(100);
    const got = ofCall(receiver, id);
    expect(receiver.unverified).toEqual([]);
    expect(got.map((d) => d.message.type)).toEqual([
      'call.created',
      ...history.map(() => 'call.updated'),
      'call.ended',
    ]);
    // Version order, ids unique, body exactly {type, timestamp, data: {call, event}}.
    expect(got.map((d) => (d.message.data.call as View).version)).toEqual([
      0,
      ...history.map((e) => e.seq),
      final.version,
    ]);
    expect(new Set(got.map((d) => d.id)).size).toBe(got.length);
    for (const d of got) {
      expect(Object.keys(d.message).sort()).toEqual(['data', 'timestamp', 'type']);
      expect(Object.keys(d.message.data).sort()).toEqual(['call', 'event']);
      expect(d.id).toMatch(/^msg_[A-Za-z0-9_-]+$/);
    }
    const [first, ...updates] = got;
    expect(first?.message.data).toEqual({
      call: answers[0],
      event: { seq: 0, id: null, type: 'call.created', source: 'api', at: expect.any(String) },
    });
    for (const [i, entry] of history.entries()) {
      const d = updates[i] as Received;
      expect(d.message.data.event).toEqual({
        seq: entry.seq,
        id: entry.id,
        type: entry.type,
        source: entry.source,
        at: entry.at,
      });
      expect(d.message.timestamp).toBe(entry.at);
      const call = d.message.data.call as View;
      expect(call.state).toEqual(entry.state);
      expect(call.prompts).toEqual(entry.prompts);
      // An API event's message carries exactly the view its answer had.
      const answered = answers.find((a) => a.version === entry.seq && entry.source === 'api');
      if (answered) expect(call).toEqual(answered);
    }
    const ended = got.at(-1) as Received;
    expect(ended.message.data).toEqual(updates.at(-1)?.message.data);
    expect(ended.message.data.call).toEqual(final);
    // The customer's name is in the bodies (the call view), and only there.
    expect(first?.body).toContain(NAME.firstName);

    // The endpoint that asked for call.ended only got that.
    await until(() => ofCall(onlyEnded, id).length >= 1);
    await sleep(100);
    expect(ofCall(onlyEnded, id).map((d) => d.message.type)).toEqual(['call.ended']);

    // The log: each delivered after one attempt with a 2xx.
    const log = (await deliveries(app, endpointId)).filter((d) => d.callId === id);
    expect(log).toHaveLength(expected);
    for (const d of log) {
      expect(d.status).toBe('delivered');
      expect(d.attempts).toHaveLength(1);
      expect(d.attempts[0]).toMatchObject({ statusCode: 204, error: null });
    }
  });

  it("an unknown topic raises escalation.created with the escalation, its id the call action's; the desk's acknowledge sends escalation.updated", async () => {
    const escalations = await startReceiver();
    try {
      await subscribe(app, escalations, { types: ['escalation.created', 'escalation.updated'] });
      const id = callId('escalate');
      await post(app, '/v1/calls', { callId: id, customer: NAME, operatorId: 'op-7' });
      await apply(app, id, { type: 'answer.given' });
      const raised = await apply(app, id, {
        type: 'customer.unknown-topic',
        data: { topic: 'новая рассылка' },
      });
      const action = raised.actions.find((a) => a.type === 'supervisor.escalation') as unknown as { id: string };
      expect(action.id).toEqual(expect.any(String));
      await apply(app, id, { type: 'customer.prank' });
      await until(() => escalations.received.length >= 1, { message: 'escalation.created' });
      await sleep(150);
      expect(escalations.unverified).toEqual([]);
      expect(escalations.received.map((d) => d.message.type)).toEqual(['escalation.created']);
      const history = await getHistory(app, id);
      const topicEvent = history.find((e) => e.type === 'customer.unknown-topic');
      expect(escalations.received[0]?.message).toEqual({
        type: 'escalation.created',
        timestamp: topicEvent?.at,
        data: {
          id: action.id,
          callId: id,
          operatorId: 'op-7',
          topic: 'новая рассылка',
          status: 'open',
          createdAt: topicEvent?.at,
          acknowledgedAt: null,
          acknowledgedBy: null,
          resolvedAt: null,
          resolvedBy: null,
          resolution: null,
        },
      });
      // Acknowledged at the desk: escalation.updated with the escalation as it now stands.
      const ack = await post(app, `/v1/escalations/${action.id}/acknowledge`, { by: 'supervisor.anna' });
      expect(ack.statusCode, ack.body).toBe(200);
      await until(() => escalations.received.length >= 2, { message: 'escalation.updated' });
      const updated = escalations.received[1]?.message;
      expect(updated?.type).toBe('escalation.updated');
      expect(updated?.data).toMatchObject({ id: action.id, status: 'acknowledged', acknowledgedBy: 'supervisor.anna' });
    } finally {
      await escalations.close();
    }
  });

  it("signs every attempt with that attempt's time (the library refuses one 5 minutes off)", async () => {
    const id = callId('time');
    const before = Math.floor(Date.now() / 1000);
    await post(app, '/v1/calls', { callId: id });
    await until(() => ofCall(receiver, id).length === 1);
    const [d] = ofCall(receiver, id);
    expect(d?.timestamp).toBeGreaterThanOrEqual(before);
    expect(d?.timestamp).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    expect(d?.signature).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
  });
});

describe('failures and retries', () => {
  let app: TestApp;
  let receiver: Receiver;
  let endpointId: string;
  beforeAll(async () => {
    receiver = await startReceiver();
    app = await buildTestApp({
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_RETRY_SCHEDULE: '0.1,0.2',
      WEBHOOK_TIMEOUT_SECONDS: '0.3',
    });
    endpointId = (await subscribe(app, receiver)).id;
  });
  afterAll(async () => {
    await app.close();
    await receiver.close();
  });
  afterEach(() => receiver.answer(() => ({ status: 204 })));

  it('500 twice then 200: three attempts with one webhook-id, and the log shows three', async () => {
    const id = callId('flaky');
    const seen = new Map<string, number>();
    receiver.answer((_n, d) => {
      const k = (seen.get(d.id) ?? 0) + 1;
      seen.set(d.id, k);
      return { status: k <= 2 ? 500 : 200, body: `${NAME.firstName} is not here` };
    });
    await post(app, '/v1/calls', { callId: id, customer: NAME });
    await until(() => ofCall(receiver, id).length >= 3, { message: 'three attempts' });
    await sleep(300);
    const got = ofCall(receiver, id);
    expect(got).toHaveLength(3);
    expect(new Set(got.map((d) => d.id)).size).toBe(1);
    expect(new Set(got.map((d) => d.body)).size).toBe(1);
    // The schedule: 0.1 s, then 0.2 s.
    expect((got[1] as Received).at - (got[0] as Received).at).toBeGreaterThanOrEqual(90);
    expect((got[2] as Received).at - (got[1] as Received).at).toBeGreaterThanOrEqual(190);
    const [entry] = (await deliveries(app, endpointId)).filter((d) => d.callId === id);
    expect(entry?.id).toBe(got[0]?.id);
    expect(entry?.status).toBe('delivered');
    expect(entry?.attempts.map((a) => [a.statusCode, a.error])).toEqual([
      [500, null],
      [500, null],
      [200, null],
    ]);
    // The receiver's body (with the name in it) is not kept anywhere in the log.
    expect(JSON.stringify(entry)).not.toContain(NAME.firstName);
  });

  it('a receiver that never answers: timed out, retried on schedule, then failed; a manual retry sends it again', async () => {
    const id = callId('hang');
    receiver.answer(() => ({ hang: true }));
    await post(app, '/v1/calls', { callId: id, customer: NAME });
    const failed = await until(
      async () => (await deliveries(app, endpointId, '&status=failed')).find((d) => d.callId === id),
      { timeoutMs: 8_000, message: 'the message failed' },
    );
    expect(failed.attempts).toHaveLength(3);
    for (const a of failed.attempts) {
      expect(a.statusCode).toBeNull();
      expect(a.error).toBe('TIMEOUT');
      expect(a.durationMs).toBeGreaterThanOrEqual(250);
    }
    expect(ofCall(receiver, id).length).toBe(3);
    expect(JSON.stringify(failed)).not.toContain(NAME.firstName);

    // Retrying a failed message: pending again, a fresh schedule, delivered when the receiver is back.
    receiver.answer(() => ({ status: 200 }));
    const retryUrl = `/v1/webhooks/${endpointId}/deliveries/${failed.id}/retry`;
    const unknownOption = await post(app, retryUrl, { force: true });
    expect(unknownOption.statusCode).toBe(400);
    expect(JSON.stringify(unknownOption.json().errors)).toContain('force');
    expect((await deliveries(app, endpointId)).find((d) => d.id === failed.id)?.status).toBe('failed');
    // No body at all (no content-type) is the plain way to ask.
    const retried = await app.inject({ method: 'POST', url: retryUrl });
    expect(retried.statusCode, retried.body).toBe(202);
    expect(retried.json()).toMatchObject({ id: failed.id, status: 'pending' });
    await until(
      async () => (await deliveries(app, endpointId)).find((d) => d.id === failed.id)?.status === 'delivered',
    );
    const done = (await deliveries(app, endpointId)).find((d) => d.id === failed.id) as DeliveryJson;
    expect(done.attempts.map((a) => a.statusCode)).toEqual([null, null, null, 200]);
    expect(ofCall(receiver, id).map((d) => d.id)).toEqual([failed.id, failed.id, failed.id, failed.id]);
    // Only a failed message can be retried.
    const again = await post(app, `/v1/webhooks/${endpointId}/deliveries/${failed.id}/retry`, {});
    expect(again.statusCode).toBe(409);
    expect(again.json().detail).toContain('delivered');
  });

  it('a later message of the same call waits while an earlier one is retried; other calls do not', async () => {
    const slow = callId('order');
    const other = callId('other');
    const firstId = { value: '' };
    receiver.answer((_n, d) => {
      const call = d.message.data.call as View;
      if (call.callId === slow && call.version === 0) {
        firstId.value = d.id;
        return { status: ofCall(receiver, slow).length <= 2 ? 503 : 200 };
      }
      return { status: 200 };
    });
    await post(app, '/v1/calls', { callId: slow });
    await apply(app, slow, { type: 'customer.prank' });
    await apply(app, slow, { type: 'customer.no-card' });
    await post(app, '/v1/calls', { callId: other });
    // The other call is not held up by the first one's retries.
    await until(() => ofCall(receiver, other).length === 1);
    expect(ofCall(receiver, slow).filter((d) => (d.message.data.call as View).version > 0)).toEqual([]);
    await until(() => ofCall(receiver, slow).length >= 5, { message: 'all of the slow call' });
    await sleep(200);
    expect(ofCall(receiver, slow).map((d) => (d.message.data.call as View).version)).toEqual([0, 0, 0, 1, 2]);
  });

  it('Retry-After on 429 and 503 is honoured over a shorter schedule (seconds or an HTTP date)', async () => {
    for (const [status, retryAfter] of [
      [429, '1'],
      [503, () => new Date(Date.now() + 2_000).toUTCString()],
    ] as const) {
      const id = callId(`retry-after-${status}`);
      receiver.answer((k, d) =>
        ofCall(receiver, id).length === 1 && (d.message.data.call as View).callId === id
          ? { status, headers: { 'retry-after': typeof retryAfter === 'string' ? retryAfter : retryAfter() } }
          : { status: 204, body: String(k) },
      );
      await post(app, '/v1/calls', { callId: id });
      await until(() => ofCall(receiver, id).length >= 2, {
        timeoutMs: 6_000,
        message: `a second attempt after ${status}`,
      });
      const [a, b] = ofCall(receiver, id) as [Received, Received];
      // At least the second the header asked for (an HTTP date has whole-second precision).
      expect(b.at - a.at, `${status}`).toBeGreaterThanOrEqual(status === 429 ? 990 : 1_000);
      // The log is written once the answer is in: wait for the second attempt's record.
      const entry = await until(async () =>
        (await deliveries(app, endpointId)).find((d) => d.callId === id && d.status === 'delivered'),
      );
      expect(entry.attempts.map((x) => x.statusCode)).toEqual([status, 204]);
    }
  });

  it('410 Gone disables the endpoint: its pending messages fail and nothing more is sent', async () => {
    const gone = await startReceiver();
    try {
      const endpoint = await subscribe(app, gone);
      const held = callId('gone-held');
      const id = callId('gone');
      // One call's message is in backoff when the other's gets the 410.
      gone.answer((_k, d) => ((d.message.data.call as View).callId === held ? { status: 500 } : { status: 410 }));
      await post(app, '/v1/calls', { callId: held });
      await until(() => gone.received.length >= 1);
      await post(app, '/v1/calls', { callId: id });
      await until(async () => {
        const res = await app.inject({ url: `/v1/webhooks/${endpoint.id}` });
        return res.json().status === 'disabled';
      });
      const view = (await app.inject({ url: `/v1/webhooks/${endpoint.id}` })).json();
      expect(view).toMatchObject({ status: 'disabled', disabledReason: expect.stringContaining('410') });
      expect(view.disabledAt).toEqual(expect.any(String));
      const log = await deliveries(app, endpoint.id);
      expect(log.map((d) => d.status)).toEqual(['failed', 'failed']);
      const count = gone.received.length;
      await apply(app, id, { type: 'customer.prank' });
      await post(app, '/v1/calls', { callId: callId('gone-later') });
      await sleep(500);
      expect(gone.received.length).toBe(count);
      expect(await deliveries(app, endpoint.id)).toHaveLength(2);
      // A disabled endpoint's messages cannot be retried.
      const retry = await post(app, `/v1/webhooks/${endpoint.id}/deliveries/${log[0]?.id}/retry`, {});
      expect(retry.statusCode).toBe(409);
    } finally {
      await gone.close();
    }
  });
});

describe('isolation', () => {
  let app: TestApp;
  let fast: Receiver;
  let dead: Receiver;
  let deadId: string;
  beforeAll(async () => {
    fast = await startReceiver();
    dead = await startReceiver();
    dead.answer(() => ({ hang: true }));
    app = await buildTestApp({
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_TIMEOUT_SECONDS: '10',
      WEBHOOK_CONCURRENCY: '16',
    });
    deadId = (await subscribe(app, dead)).id;
    await subscribe(app, fast);
  });
  afterAll(async () => {
    await app.close();
    await fast.close();
    await dead.close();
  });

  it('an endpoint that never answers holds up neither the event path nor another endpoint', async () => {
    const ids = Array.from({ length: 40 }, () => callId('iso'));
    for (const id of ids) await post(app, '/v1/calls', { callId: id });
    await Promise.all(ids.map((id) => apply(app, id, { type: 'customer.prank' })));
    // 40 calls x 2 messages each to the dead endpoint are hanging (up to its slots); the
    // event path answered and the fast endpoint got everything, long before any timeout.
    await until(() => fast.received.length >= 80, { timeoutMs: 9_000, message: 'the fast endpoint got all' });
    // ... while every attempt to the dead one still hangs in its first try (none timed out yet),
    // at most its 16 slots (WEBHOOK_CONCURRENCY) of them.
    expect((await deliveries(app, deadId)).every((d) => d.attempts.length === 0)).toBe(true);
    expect(dead.received.length).toBeGreaterThan(0);
    expect(dead.received.length).toBeLessThanOrEqual(16);
  });

  it('a response body is read up to 64 KB and dropped', async () => {
    const big = 'x'.repeat(5 * 1024 * 1024);
    fast.answer(() => ({ status: 200, body: big }));
    const id = callId('big');
    await post(app, '/v1/calls', { callId: id });
    await apply(app, id, { type: 'customer.prank' });
    await until(() => ofCall(fast, id).length >= 2, { message: 'both messages after a big answer' });
  });

  it('counts attempts by outcome, their latency and the backlog in /metrics', async () => {
    // Read with an independent parser of the text format (it throws on a malformed line).
    const scrape = parseMetrics((await app.inject({ url: '/metrics' })).body);
    expect(
      sampleValue(scrape, 'callflow_webhook_attempts_total', { outcome: 'delivered', answer: '2xx' }),
    ).toBeGreaterThanOrEqual(80);
    expect(scrape.families.get('callflow_webhook_attempt_seconds')?.type).toBe('HISTOGRAM');
    expect(sampleValue(scrape, 'callflow_webhook_attempt_seconds_count')).toBeGreaterThanOrEqual(80);
    // The dead endpoint's messages are due and waiting.
    expect(sampleValue(scrape, 'callflow_webhook_backlog_seconds')).toBeGreaterThan(0);
    expect(sampleValue(scrape, 'callflow_webhook_pending_messages')).toBeGreaterThan(0);
  });
});

describe('a call that ends by itself', () => {
  let app: TestApp;
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await startReceiver();
    app = await buildTestApp({ WEBHOOK_ALLOW_PRIVATE: 'true', IDLE_CALL_SECONDS: '0.8' });
    await subscribe(app, receiver, { types: ['call.ended'] });
  });
  afterAll(async () => {
    await app.close();
    await receiver.close();
  });

  it('an idle call ended by its job sends call.ended, signed, with the stored end', async () => {
    const id = callId('idle');
    await post(app, '/v1/calls', { callId: id });
    const [ended] = await until(() => (ofCall(receiver, id).length > 0 ? ofCall(receiver, id) : null), {
      timeoutMs: 6_000,
      message: 'call.ended of the idle end',
    });
    expect(receiver.unverified).toEqual([]);
    const view = await getView(app, id);
    expect(view).toMatchObject({ status: 'ended', endReason: 'abandoned' });
    expect(ended?.message.type).toBe('call.ended');
    expect(ended?.message.data.call).toEqual(view);
    const event = ended?.message.data.event as { type: string; seq: number };
    expect(event).toMatchObject({ type: 'call.idle', seq: view.version });
    // Once: the end is one change, and a later hold check or idle firing finds the call ended.
    await sleep(1_200);
    expect(ofCall(receiver, id)).toHaveLength(1);
  });
});
