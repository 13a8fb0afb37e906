/**
 * GET /v1/calls/:callId/stream over a real listening server (SPEC §3): the current view
 * first, then one `call` event per change (timer-driven ones included), `id:` = version,
 * Last-Event-ID catch-up, keep-alive comments.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { postJson, SseReader, sleep, uniqueId, type View } from '../support/api.js';
import { buildTestApp, type TestApp } from '../support/app.js';
import { NAME, named } from './texts.js';

let app: TestApp;
let base: string;
const readers: SseReader[] = [];

beforeAll(async () => {
  app = await buildTestApp({ HOLD_CHECK_SECONDS: '0.2', SSE_KEEPALIVE_MS: '50' });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterEach(() => {
  for (const r of readers.splice(0)) r.close();
});
afterAll(async () => {
  await app?.close();
});

async function open(callId: string, headers: Record<string, string> = {}) {
  const reader = await SseReader.open(`${base}/v1/calls/${callId}/stream`, headers);
  readers.push(reader);
  expect(reader.status).toBe(200);
  expect(reader.contentType).toMatch(/^text\/event-stream/);
  return reader;
}

async function create(body: Record<string, unknown> = {}): Promise<View> {
  const res = await postJson(base, '/v1/calls', { callId: uniqueId('sse'), ...body });
  expect(res.status).toBe(201);
  return (await res.json()) as View;
}

async function event(callId: string, body: Record<string, unknown>): Promise<View> {
  const res = await postJson(base, `/v1/calls/${callId}/events`, body);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as View;
}

const ids = (r: SseReader) => r.messages.map((m) => m.id);

describe('stream', () => {
  it('sends the current view first, then one call event per change with id = version', async () => {
    const call = await create({ customer: NAME });
    const reader = await open(call.callId);
    await reader.waitFor((r) => r.messages.length >= 1, 5_000, 'the current view');
    expect(reader.messages[0]).toMatchObject({ id: '0', event: 'call' });
    expect(reader.views()[0]).toEqual(call);

    const answers: View[] = [];
    answers.push(await event(call.callId, { type: 'answer.given' }));
    answers.push(await event(call.callId, { type: 'customer.location-question' }));
    answers.push(await event(call.callId, { type: 'customer.identified', data: { firstName: 'Пётр' } }));
    await reader.waitFor((r) => r.messages.length >= 4, 5_000, 'three changes');
    expect(ids(reader)).toEqual(['0', '1', '2', '3']);
    expect(reader.messages.every((m) => m.event === 'call')).toBe(true);
    expect(reader.views().slice(1)).toEqual(answers);

    // Errors and replays are not changes.
    await postJson(base, `/v1/calls/${call.callId}/events`, { type: 'call.unhold' });
    await postJson(base, `/v1/calls/${call.callId}/events`, { type: 'customer.prank', id: 'p' });
    await postJson(base, `/v1/calls/${call.callId}/events`, { type: 'customer.prank', id: 'p' });
    await reader.waitFor((r) => r.messages.length >= 5, 5_000, 'the prank');
    await sleep(150);
    expect(ids(reader)).toEqual(['0', '1', '2', '3', '4']);
  });

  it('timer-driven hold checks arrive as changes too', async () => {
    const call = await create({ customer: NAME });
    const reader = await open(call.callId);
    await reader.waitFor((r) => r.messages.length >= 1);
    const held = await event(call.callId, { type: 'call.hold' });
    await reader.waitFor((r) => r.messages.length >= 4, 5_000, 'two hold checks');
    const views = reader.views();
    expect(views[1]).toEqual(held);
    for (const view of views.slice(2, 4)) {
      expect(view.prompts).toEqual([{ key: 'hold.check', text: named('hold.check'), instruction: expect.any(String) }]);
      expect(view.state).toEqual(held.state);
      expect(view.timers).toHaveLength(1);
    }
    expect(ids(reader).slice(0, 4)).toEqual(['0', '1', '2', '3']);
    const back = await event(call.callId, { type: 'call.unhold' });
    await reader.waitFor((r) => r.views().some((v) => v.version === back.version), 5_000, 'the unhold');
    const versions = reader.views().map((v) => v.version);
    expect(versions).toEqual(versions.map((_, i) => i));
    expect(reader.views().at(-1)).toEqual(back);
  });

  it('a reconnect with Last-Event-ID: N first gets every change after N, then live ones', async () => {
    const call = await create();
    const sent: View[] = [];
    for (const type of [
      'answer.given',
      'customer.prank',
      'customer.no-card',
      'customer.third-party',
      'customer.prank',
    ]) {
      sent.push(await event(call.callId, { type }));
    }
    const reader = await open(call.callId, { 'last-event-id': '2' });
    await reader.waitFor((r) => r.messages.length >= 3, 5_000, 'changes 3..5');
    expect(ids(reader)).toEqual(['3', '4', '5']);
    // The catch-up views are the call as it stood after each change: what the POSTs answered.
    expect(reader.views()).toEqual(sent.slice(2));
    expect(reader.views().map((v) => v.version)).toEqual([3, 4, 5]);
    const live = await event(call.callId, { type: 'customer.location-question' });
    await reader.waitFor((r) => r.messages.length >= 4, 5_000, 'the live change');
    expect(ids(reader)).toEqual(['3', '4', '5', '6']);
    expect(reader.views()[3]).toEqual(live);

    // Up to date already: nothing until the next change.
    const current = await open(call.callId, { 'last-event-id': '6' });
    await sleep(150);
    expect(current.messages).toEqual([]);
    await event(call.callId, { type: 'customer.prank' });
    await current.waitFor((r) => r.messages.length >= 1, 5_000, 'change 7');
    expect(ids(current)).toEqual(['7']);

    // Last-Event-ID: 0 replays the whole history.
    const all = await open(call.callId, { 'last-event-id': '0' });
    await all.waitFor((r) => r.messages.length >= 7, 5_000, 'all changes');
    expect(ids(all)).toEqual(['1', '2', '3', '4', '5', '6', '7']);
  });

  it('a reconnect catches up on timer firings it missed', async () => {
    const call = await create();
    const first = await open(call.callId);
    await first.waitFor((r) => r.messages.length >= 1);
    await event(call.callId, { type: 'call.hold' });
    await first.waitFor((r) => r.messages.length >= 2);
    first.close();
    await sleep(500); // at least two checks fire while disconnected
    const again = await open(call.callId, { 'last-event-id': '1' });
    await again.waitFor((r) => r.messages.length >= 2, 5_000, 'missed checks');
    const views = again.views();
    expect(views[0]?.version).toBe(2);
    expect(views.map((v) => v.version)).toEqual(views.map((_, i) => i + 2));
    expect(views.every((v) => v.prompts[0]?.key === 'hold.check')).toBe(true);
    await event(call.callId, { type: 'call.hangup' });
  });

  it('every subscriber sees every change; keep-alive comments keep coming', async () => {
    const call = await create();
    const a = await open(call.callId);
    const b = await open(call.callId);
    await a.waitFor((r) => r.messages.length >= 1);
    await b.waitFor((r) => r.messages.length >= 1);
    const views = [
      await event(call.callId, { type: 'answer.given' }),
      await event(call.callId, { type: 'customer.prank' }),
    ];
    for (const r of [a, b]) {
      await r.waitFor((x) => x.messages.length >= 3, 5_000, 'both changes');
      expect(r.views().slice(1)).toEqual(views);
    }
    await a.waitFor((r) => r.comments.filter((c) => c === 'keep-alive').length >= 2, 5_000, 'keep-alive comments');
  });

  it('an ended call still streams its final view', async () => {
    const call = await create();
    const ended = await event(call.callId, { type: 'customer.prolonging' });
    const reader = await open(call.callId);
    await reader.waitFor((r) => r.messages.length >= 1);
    expect(reader.views()[0]).toEqual(ended);
  });
});

describe('change bus', () => {
  it('a second unsubscribe of a gone subscriber does not drop a newer one', async () => {
    const { ChangeBus } = await import('../../src/calls/bus.js');
    const bus = new ChangeBus();
    const seen: number[] = [];
    const first = bus.subscribe('c', () => {});
    first();
    bus.subscribe('c', (message) => {
      if (message.kind === 'view') seen.push(message.view.version);
    });
    first(); // again, e.g. from both the disconnect and the shutdown
    bus.publish({ callId: 'c', version: 7 } as never);
    expect(seen).toEqual([7]);
    expect(bus.subscriberCount).toBe(1);
  });
});

describe('stream with API_TOKENS', () => {
  it('takes the token as a bearer header or as ?access_token= (EventSource cannot send headers)', async () => {
    const secured = await buildTestApp({ API_TOKENS: 'stream-token' });
    try {
      await secured.listen({ port: 0, host: '127.0.0.1' });
      const address = secured.server.address();
      const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      const created = await postJson(
        url,
        '/v1/calls',
        { callId: 'secured-stream' },
        { authorization: 'Bearer stream-token' },
      );
      expect(created.status).toBe(201);
      const denied = await fetch(`${url}/v1/calls/secured-stream/stream`);
      expect(denied.status).toBe(401);
      expect(denied.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect((await fetch(`${url}/v1/calls/secured-stream/stream?access_token=wrong`)).status).toBe(401);
      for (const [path, headers] of [
        ['/v1/calls/secured-stream/stream?access_token=stream-token', {}],
        ['/v1/calls/secured-stream/stream', { authorization: 'Bearer stream-token' }],
      ] as const) {
        const reader = await SseReader.open(`${url}${path}`, headers);
        readers.push(reader);
        expect(reader.status).toBe(200);
        await reader.waitFor((r) => r.messages.length >= 1);
        expect(reader.messages[0]?.id).toBe('0');
        reader.close();
      }
    } finally {
      await secured.close();
    }
  });
});
