/**
 * SPEC §5: events for one call are applied one at a time, in arrival order; a retry never
 * applies twice; different calls do not wait for each other.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getHistory, getView, newCall, postJson, sendEvent, type View } from '../support/api.js';
import { buildTestApp, type TestApp } from '../support/app.js';

let app: TestApp;
beforeAll(async () => {
  app = await buildTestApp({ HOLD_CHECK_SECONDS: '60' });
});
afterAll(async () => {
  await app?.close();
});

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('one call, many events at once', () => {
  it('50 parallel interjections: versions 1..50, a history of 50 in arrival order', async () => {
    const { callId } = await newCall(app);
    const responses = await Promise.all(
      range(50).map((i) => sendEvent(app, callId, { type: 'customer.location-question', id: `loc-${i}` })),
    );
    const views = responses.map((r) => {
      expect(r.statusCode, r.body).toBe(200);
      return r.json() as View;
    });
    expect(views.map((v) => v.version).sort((a, b) => a - b)).toEqual(range(50).map((i) => i + 1));
    const history = await getHistory(app, callId);
    expect(history).toHaveLength(50);
    expect(history.map((h) => h.seq)).toEqual(range(50).map((i) => i + 1));
    // Arrival order: inject delivers them in the order sent.
    expect(history.map((h) => h.id)).toEqual(range(50).map((i) => `loc-${i}`));
    // Each answer is its own event's result.
    for (const [i, v] of views.entries()) expect(v.version, `loc-${i}`).toBe(i + 1);
    expect((await getView(app, callId)).version).toBe(50);
  });

  it('alternating identifications: each answer carries its own name, the last one wins', async () => {
    const { callId } = await newCall(app);
    const names = range(50).map((i) => (i % 2 === 0 ? `Иван${i}` : `Мария${i}`));
    const responses = await Promise.all(
      names.map((firstName, i) =>
        sendEvent(app, callId, { type: 'customer.identified', id: `id-${i}`, data: { firstName } }),
      ),
    );
    const views = responses.map((r) => r.json() as View);
    views.forEach((v, i) => {
      expect(v.customer).toEqual({ firstName: names[i] });
      expect(v.version).toBe(i + 1);
    });
    const history = await getHistory(app, callId);
    expect(history.map((h) => (h.data as { firstName: string }).firstName)).toEqual(names);
    expect((await getView(app, callId)).customer).toEqual({ firstName: names[49] });
  });

  it('a mixed burst that walks the script keeps the rules: the 4th repeat ends the call, the rest are 409', async () => {
    const { callId } = await newCall(app);
    const bodies = [
      { type: 'answer.given' },
      ...range(8).map(() => ({ type: 'customer.repeat-request' })),
      { type: 'customer.prank' },
    ];
    const responses = await Promise.all(bodies.map((b) => sendEvent(app, callId, b)));
    expect(responses.map((r) => r.statusCode)).toEqual([200, 200, 200, 200, 200, 409, 409, 409, 409, 409]);
    const last = responses[4]?.json() as View;
    expect(last).toMatchObject({ status: 'ended', endReason: 'repeat-limit', version: 5, counters: { repeats: 4 } });
    expect(await getHistory(app, callId)).toHaveLength(5);
  });

  it('the same id 10 times at once applies once; the others are replays of it', async () => {
    const { callId } = await newCall(app);
    const responses = await Promise.all(range(10).map(() => sendEvent(app, callId, { type: 'call.hold', id: 'once' })));
    const views = responses.map((r) => {
      expect(r.statusCode, r.body).toBe(200);
      return r.json() as View;
    });
    expect(views.filter((v) => v.replayed !== true)).toHaveLength(1);
    expect(views.filter((v) => v.replayed === true)).toHaveLength(9);
    expect(new Set(views.map((v) => v.version))).toEqual(new Set([1]));
    const history = await getHistory(app, callId);
    expect(history.map((h) => [h.seq, h.id, h.type])).toEqual([[1, 'once', 'call.hold']]);
  });

  it('the same id at once with two bodies: one applies, same-body retries replay, the other body is a 409', async () => {
    const { callId } = await newCall(app);
    const bodies = range(10).map((i) =>
      i % 2 === 0 ? { type: 'customer.prank', id: 'x' } : { type: 'customer.no-card', id: 'x' },
    );
    const responses = await Promise.all(bodies.map((b) => sendEvent(app, callId, b)));
    // The first to arrive wins: prank.
    expect(responses[0]?.statusCode).toBe(200);
    responses.forEach((r, i) => {
      if (i === 0) return;
      if (i % 2 === 0) expect(r.json()).toMatchObject({ replayed: true, version: 1 });
      else expect(r.statusCode).toBe(409);
    });
    expect((await getHistory(app, callId)).map((h) => h.type)).toEqual(['customer.prank']);
  });
});

describe('one call created many times at once', () => {
  it('10 parallel creates with the same body: one 201, the others 200 with the same view', async () => {
    const body = { callId: 'parallel-create', customer: { firstName: 'Иван' } };
    const responses = await Promise.all(
      range(10).map(() =>
        app.inject({
          method: 'POST',
          url: '/v1/calls',
          payload: body,
          headers: { 'content-type': 'application/json' },
        }),
      ),
    );
    const statuses = responses.map((r) => r.statusCode).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    const views = responses.map((r) => r.json() as View);
    for (const v of views) expect(v).toEqual(views[0]);
    expect(await getHistory(app, 'parallel-create')).toEqual([]);
  });

  it('parallel creates with different bodies: the first wins, the others are 409', async () => {
    const responses = await Promise.all(
      range(6).map((i) =>
        app.inject({
          method: 'POST',
          url: '/v1/calls',
          payload: { callId: 'parallel-create-2', locale: i === 0 ? 'ru' : 'en' },
          headers: { 'content-type': 'application/json' },
        }),
      ),
    );
    expect(responses.map((r) => r.statusCode)).toEqual([201, 409, 409, 409, 409, 409]);
    expect((await getView(app, 'parallel-create-2')).locale).toBe('ru');
  });
});

describe('many calls at once', () => {
  it('20 calls x 10 events in parallel: each call consecutive 1..10, nothing lost', async () => {
    const calls = await Promise.all(range(20).map(() => newCall(app)));
    const all = calls.flatMap(({ callId }) =>
      range(10).map((i) =>
        sendEvent(app, callId, { type: 'customer.no-card', id: `n-${i}` }).then((r) => ({ callId, i, r })),
      ),
    );
    for (const { r } of await Promise.all(all)) expect(r.statusCode).toBe(200);
    for (const { callId } of calls) {
      const history = await getHistory(app, callId);
      expect(history.map((h) => h.seq)).toEqual(range(10).map((i) => i + 1));
      expect(history.map((h) => h.id)).toEqual(range(10).map((i) => `n-${i}`));
    }
  });

  it('a busy call does not hold up another one', async () => {
    const busy = await newCall(app);
    const other = await newCall(app);
    const order: string[] = [];
    const burst = range(300).map((i) =>
      sendEvent(app, busy.callId, { type: 'customer.prank', id: `b-${i}` }).then((r) => {
        order.push(`busy-${i}`);
        return r;
      }),
    );
    const single = sendEvent(app, other.callId, { type: 'customer.prank' }).then((r) => {
      order.push('other');
      return r;
    });
    await Promise.all([...burst, single]);
    expect((await single).statusCode).toBe(200);
    // Sent after all 300 of the busy call, answered long before the busy call's last one.
    expect(order.indexOf('other')).toBeLessThan(150);
    expect((await getView(app, busy.callId)).version).toBe(300);
  });

  it('over a real socket: 30 parallel events on one call get distinct consecutive versions matching the history', async () => {
    const server = await buildTestApp({ HOLD_CHECK_SECONDS: '60' });
    try {
      await server.listen({ port: 0, host: '127.0.0.1' });
      const address = server.server.address();
      const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      const { callId } = (await (await postJson(base, '/v1/calls', { callId: 'socket-call' })).json()) as View;
      const responses = await Promise.all(
        range(30).map((i) => postJson(base, `/v1/calls/${callId}/events`, { type: 'customer.no-card', id: `s-${i}` })),
      );
      const versions = new Map<string, number>();
      for (const [i, res] of responses.entries()) {
        expect(res.status).toBe(200);
        versions.set(`s-${i}`, ((await res.json()) as View).version);
      }
      expect([...versions.values()].sort((a, b) => a - b)).toEqual(range(30).map((i) => i + 1));
      const history = await getHistory(server, callId);
      expect(history.map((h) => h.seq)).toEqual(range(30).map((i) => i + 1));
      for (const h of history) expect(versions.get(h.id as string)).toBe(h.seq);
    } finally {
      await server.close();
    }
  });
});
