/**
 * SPEC §8 escalations through the API, over a real listening server: created by
 * `customer.unknown-topic` (the call's action carries the id), listed newest first with cursor
 * paging and filters, acknowledged and resolved, a transition that does not fit the status is
 * 409 (naming the status), unknown ids 404, bad bodies 400, nothing stored changes on an error.
 * The stream: a `ready` event, one `escalation` event per change with id = the change's
 * sequence number, Last-Event-ID resume, keep-alive comments.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem, postJson, SseReader, sleep, uniqueId, type View } from '../support/api.js';
import { buildTestApp, type TestApp } from '../support/app.js';

let app: TestApp;
let base: string;
const readers: SseReader[] = [];

beforeAll(async () => {
  app = await buildTestApp({ SSE_KEEPALIVE_MS: '50' });
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

interface Escalation {
  id: string;
  callId: string;
  operatorId: string | null;
  topic: string;
  status: 'open' | 'acknowledged' | 'resolved';
  createdAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  resolvedAt: string | null;
  resolvedBy: string | null;
  resolution: string | null;
}

const ESCALATION_KEYS = [
  'id',
  'callId',
  'operatorId',
  'topic',
  'status',
  'createdAt',
  'acknowledgedAt',
  'acknowledgedBy',
  'resolvedAt',
  'resolution',
];

async function json(res: Response) {
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

const get = async (path: string) => json(await fetch(`${base}${path}`));
const post = async (path: string, body: unknown) => json(await postJson(base, path, body));

async function raise(topic: string, operatorId = 'op.anna'): Promise<{ call: View; escalation: Escalation }> {
  const callId = uniqueId('esc');
  const created = await postJson(base, '/v1/calls', { callId, operatorId });
  expect(created.status).toBe(201);
  const res = await post(`/v1/calls/${callId}/events`, { type: 'customer.unknown-topic', data: { topic } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const call = res.body as unknown as View;
  const action = call.actions[0] as { type: string; topic: string; id: string };
  expect(action).toEqual({ type: 'supervisor.escalation', topic, id: expect.any(String) });
  const read = await get(`/v1/escalations/${action.id}`);
  expect(read.status).toBe(200);
  return { call, escalation: read.body as unknown as Escalation };
}

async function openStream(headers: Record<string, string> = {}) {
  const reader = await SseReader.open(`${base}/v1/escalations/stream`, headers);
  readers.push(reader);
  expect(reader.status).toBe(200);
  expect(reader.contentType).toMatch(/^text\/event-stream/);
  return reader;
}

const escalationsOf = (r: SseReader) =>
  r.messages
    .filter((m) => m.event === 'escalation')
    .map((m) => ({ ...(JSON.parse(m.data) as Escalation), seq: Number(m.id) }));

describe('escalations', () => {
  it('customer.unknown-topic creates an open escalation with the action id, the operator and the topic', async () => {
    const before = Date.now();
    const { call, escalation } = await raise('новая рассылка «Вести»');
    expect(Object.keys(escalation)).toEqual(expect.arrayContaining(ESCALATION_KEYS));
    expect(escalation).toMatchObject({
      id: (call.actions[0] as unknown as { id: string }).id,
      callId: call.callId,
      operatorId: 'op.anna',
      topic: 'новая рассылка «Вести»',
      status: 'open',
      acknowledgedAt: null,
      acknowledgedBy: null,
      resolvedAt: null,
      resolution: null,
    });
    expect(Date.parse(escalation.createdAt)).toBeGreaterThanOrEqual(before - 5);
    // The call's history keeps the same id.
    const history = await get(`/v1/calls/${call.callId}/history`);
    const events = history.body.events as { type: string; actions: unknown[] }[];
    expect(events.at(-1)?.actions).toEqual(call.actions);
  });

  it('a replayed event creates no second escalation; a refused one creates none', async () => {
    const callId = uniqueId('esc');
    await postJson(base, '/v1/calls', { callId });
    const body = { type: 'customer.unknown-topic', id: 'topic-1', data: { topic: 'реклама' } };
    const first = await post(`/v1/calls/${callId}/events`, body);
    const again = await post(`/v1/calls/${callId}/events`, body);
    expect(again.body.replayed).toBe(true);
    expect((again.body.actions as { id: string }[])[0]?.id).toBe((first.body.actions as { id: string }[])[0]?.id);
    await post(`/v1/calls/${callId}/events`, { type: 'call.hold' });
    const refused = await post(`/v1/calls/${callId}/events`, { type: 'customer.unknown-topic', data: { topic: 'x' } });
    expect(refused.status).toBe(409);
    const list = await get(`/v1/escalations?callId=${callId}`);
    expect((list.body.escalations as Escalation[]).map((e) => e.topic)).toEqual(['реклама']);
  });

  it('acknowledge then resolve; every transition that does not fit is 409 naming the status, and changes nothing', async () => {
    const { escalation } = await raise('вопрос про карточку');
    const path = `/v1/escalations/${escalation.id}`;
    const acked = await post(`${path}/acknowledge`, { by: 'sup.vera' });
    expect(acked.status).toBe(200);
    expect(acked.body).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'sup.vera', resolvedAt: null });
    expect(Date.parse(acked.body.acknowledgedAt as string)).toBeGreaterThanOrEqual(Date.parse(escalation.createdAt));

    const twice = await post(`${path}/acknowledge`, { by: 'sup.gleb' });
    const problem = expectProblem({ status: twice.status, headers: twice.headers }, twice.body, 409);
    expect(problem.currentStatus).toBe('acknowledged');
    expect((await get(path)).body).toEqual(acked.body);

    const resolved = await post(`${path}/resolve`, { by: 'sup.vera', resolution: 'Ответ: выпуск\nчерез 2 дня' });
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({
      status: 'resolved',
      acknowledgedBy: 'sup.vera',
      resolvedBy: 'sup.vera',
      resolution: 'Ответ: выпуск\nчерез 2 дня',
    });
    for (const [action, body] of [
      ['acknowledge', { by: 'sup.gleb' }],
      ['resolve', { by: 'sup.gleb', resolution: 'ещё раз' }],
    ] as const) {
      const late = await post(`${path}/${action}`, body);
      expect(expectProblem({ status: late.status, headers: late.headers }, late.body, 409).currentStatus).toBe(
        'resolved',
      );
    }
    expect((await get(path)).body).toEqual(resolved.body);
  });

  it('resolve straight from open: allowed, acknowledgedAt stays null', async () => {
    const { escalation } = await raise('газета 10598');
    const resolved = await post(`/v1/escalations/${escalation.id}/resolve`, { by: 'sup.gleb', resolution: 'Уточнено' });
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ status: 'resolved', acknowledgedAt: null, acknowledgedBy: null });
    const ack = await post(`/v1/escalations/${escalation.id}/acknowledge`, { by: 'sup.gleb' });
    expect(ack.status).toBe(409);
  });

  it('unknown id: 404; malformed id, bodies and queries: 400; none of them changes anything', async () => {
    for (const path of ['/v1/escalations/no-such-escalation', '/v1/escalations/no-such-escalation/acknowledge']) {
      const res = path.endsWith('acknowledge') ? await post(path, { by: 'sup.x' }) : await get(path);
      expectProblem({ status: res.status, headers: res.headers }, res.body, 404);
    }
    const { escalation } = await raise('тема для проверки');
    const path = `/v1/escalations/${escalation.id}`;
    const bad: [string, unknown][] = [
      ['acknowledge', {}],
      ['acknowledge', { by: '' }],
      ['acknowledge', { by: 'has space' }],
      ['acknowledge', { by: 'x'.repeat(129) }],
      ['acknowledge', { by: 'sup', extra: 1 }],
      ['acknowledge', { by: 42 }],
      ['resolve', { by: 'sup' }],
      ['resolve', { by: 'sup', resolution: '' }],
      ['resolve', { by: 'sup', resolution: '   \n ' }],
      ['resolve', { by: 'sup', resolution: 'x'.repeat(2001) }],
      ['resolve', { by: 'sup', resolution: 'bell\u0007' }],
    ];
    for (const [action, body] of bad) {
      const res = await post(`${path}/${action}`, body);
      const problem = expectProblem({ status: res.status, headers: res.headers }, res.body, 400);
      expect(problem.detail, JSON.stringify(body)).toMatch(/body/);
    }
    const notJson = await fetch(`${base}${path}/acknowledge`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'by=sup',
    });
    expect(notJson.status).toBe(415);
    for (const query of ['?status=closed', '?limit=0', '?limit=201', '?cursor=not-a-cursor', '?callId=a%20b', '?x=1']) {
      const res = await get(`/v1/escalations${query}`);
      expectProblem({ status: res.status, headers: res.headers }, res.body, 400);
    }
    const malformed = await get('/v1/escalations/bad%20id');
    expectProblem({ status: malformed.status, headers: malformed.headers }, malformed.body, 400);
    expect((await get(path)).body).toEqual(escalation);
  });

  it('lists newest first, by status, and pages with an opaque cursor without gaps or repeats', async () => {
    const operatorId = uniqueId('pager');
    const raised: Escalation[] = [];
    for (let i = 0; i < 7; i++) raised.push((await raise(`тема ${i}`, operatorId)).escalation);
    await post(`/v1/escalations/${raised[2]!.id}/acknowledge`, { by: 'sup.p' });
    await post(`/v1/escalations/${raised[4]!.id}/resolve`, { by: 'sup.p', resolution: 'ok' });
    const mine = new Set(raised.map((e) => e.id));

    const seen: Escalation[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await get(`/v1/escalations?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.status).toBe(200);
      const items = page.body.escalations as Escalation[];
      expect(items.length).toBeLessThanOrEqual(2);
      seen.push(...items);
      cursor = page.body.nextCursor as string | null;
      pages++;
    } while (cursor && pages < 100);
    const ours = seen.filter((e) => mine.has(e.id));
    expect(ours.map((e) => e.topic)).toEqual(raised.map((e) => e.topic).reverse());
    expect(new Set(seen.map((e) => e.id)).size).toBe(seen.length);
    const times = seen.map((e) => Date.parse(e.createdAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));

    const open = (await get('/v1/escalations?status=open&limit=200')).body.escalations as Escalation[];
    expect(open.filter((e) => mine.has(e.id)).map((e) => e.topic)).toEqual([
      'тема 6',
      'тема 5',
      'тема 3',
      'тема 1',
      'тема 0',
    ]);
    const acked = (await get('/v1/escalations?status=acknowledged&limit=200')).body.escalations as Escalation[];
    expect(acked.filter((e) => mine.has(e.id)).map((e) => e.topic)).toEqual(['тема 2']);
    expect(acked.every((e) => e.status === 'acknowledged')).toBe(true);
    const ofCall = (await get(`/v1/escalations?callId=${raised[3]!.callId}`)).body.escalations as Escalation[];
    expect(ofCall.map((e) => e.id)).toEqual([raised[3]!.id]);
  });

  it('the stream: ready with the head, one escalation event per change, keep-alives, and Last-Event-ID resume', async () => {
    const first = await openStream();
    await first.waitFor((r) => r.messages.some((m) => m.event === 'ready'), 5_000, 'ready');
    const ready = first.messages[0]!;
    expect(ready.event).toBe('ready');
    const head = Number(ready.id);
    expect(JSON.parse(ready.data)).toEqual({ seq: head });

    const { escalation: a } = await raise('поток: первая');
    const { escalation: b } = await raise('поток: вторая');
    await post(`/v1/escalations/${a.id}/acknowledge`, { by: 'sup.s' });
    await post(`/v1/escalations/${b.id}/resolve`, { by: 'sup.s', resolution: 'готово' });
    await first.waitFor((r) => escalationsOf(r).length >= 4, 5_000, 'four changes');
    const got = escalationsOf(first);
    expect(got.map((e) => [e.topic, e.status])).toEqual([
      ['поток: первая', 'open'],
      ['поток: вторая', 'open'],
      ['поток: первая', 'acknowledged'],
      ['поток: вторая', 'resolved'],
    ]);
    const seqs = got.map((e) => e.seq);
    expect(seqs).toEqual([head + 1, head + 2, head + 3, head + 4]);
    // Each event is the escalation as it stood after that change.
    expect(got[0]).toMatchObject({ acknowledgedAt: null });
    expect(got[2]).toMatchObject({ acknowledgedBy: 'sup.s', resolvedAt: null });
    expect(got[3]).toMatchObject({ resolution: 'готово', acknowledgedAt: null });
    await first.waitFor((r) => r.comments.includes('keep-alive'), 2_000, 'a keep-alive');
    first.close();

    // Resume after the second change: the third and fourth, then live ones; nothing twice.
    const resumed = await openStream({ 'last-event-id': String(seqs[1]) });
    await resumed.waitFor((r) => escalationsOf(r).length >= 2, 5_000, 'the missed changes');
    expect(resumed.messages.some((m) => m.event === 'ready')).toBe(false);
    const { escalation: c } = await raise('поток: третья');
    await resumed.waitFor((r) => escalationsOf(r).length >= 3, 5_000, 'a live change');
    expect(escalationsOf(resumed).map((e) => [e.seq, e.topic, e.status])).toEqual([
      [seqs[2], 'поток: первая', 'acknowledged'],
      [seqs[3], 'поток: вторая', 'resolved'],
      [seqs[3]! + 1, c.topic, 'open'],
    ]);
    await sleep(100);
    expect(escalationsOf(resumed)).toHaveLength(3);
  });

  it('a Last-Event-ID past the log (another database) resumes at the head with a ready event', async () => {
    const reader = await openStream({ 'last-event-id': '999999999' });
    await reader.waitFor((r) => r.messages.length >= 1, 5_000, 'ready');
    expect(reader.messages[0]?.event).toBe('ready');
    expect(Number(reader.messages[0]?.id)).toBeLessThan(999_999_999);
    const bad = await fetch(`${base}/v1/escalations/stream`, { headers: { 'last-event-id': 'abc' } });
    expect(bad.status).toBe(400);
  });

  it('counts created, acknowledged and resolved escalations in /metrics', async () => {
    const count = async () => {
      const text = await (await fetch(`${base}/metrics`)).text();
      const read = (status: string) =>
        Number(
          new RegExp(`^callflow_escalation_changes_total\\{status="${status}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0,
        );
      const open = Number(/^callflow_escalations_open (\d+)$/m.exec(text)?.[1] ?? Number.NaN);
      return { open: read('open'), acknowledged: read('acknowledged'), resolved: read('resolved'), gauge: open };
    };
    const before = await count();
    const { escalation } = await raise('метрики');
    const afterCreate = await count();
    expect(afterCreate.open).toBe(before.open + 1);
    expect(afterCreate.gauge).toBe(before.gauge + 1);
    await post(`/v1/escalations/${escalation.id}/acknowledge`, { by: 'sup.m' });
    await post(`/v1/escalations/${escalation.id}/resolve`, { by: 'sup.m', resolution: 'ok' });
    await post(`/v1/escalations/${escalation.id}/resolve`, { by: 'sup.m', resolution: 'ok' }); // 409: not counted
    const after = await count();
    expect(after).toEqual({
      open: before.open + 1,
      acknowledged: before.acknowledged + 1,
      resolved: before.resolved + 1,
      gauge: before.gauge,
    });
  });
});

describe('escalation logs', () => {
  it('at trace level no topic or resolution reaches the log, whatever the request', async () => {
    const { buildApp } = await import('../../src/app.js');
    const { loadConfig } = await import('../../src/config.js');
    const lines: string[] = [];
    const logged = await buildApp(loadConfig({ DATABASE_URL: 'sqlite::memory:', LOG_LEVEL: 'trace' }), {
      logger: { level: 'trace', stream: { write: (line: string) => lines.push(line) } },
    });
    try {
      await logged.ready();
      const send = (method: 'GET' | 'POST', url: string, payload?: object) =>
        logged.inject({ method, url, ...(payload ? { payload } : {}) });
      await send('POST', '/v1/calls', { callId: 'log-esc', operatorId: 'op.l' });
      const raised = await send('POST', '/v1/calls/log-esc/events', {
        type: 'customer.unknown-topic',
        data: { topic: 'Тайнаяреклама' },
      });
      const id = (raised.json().actions as { id: string }[])[0]?.id;
      await send('GET', `/v1/escalations/${id}`);
      await send('GET', '/v1/escalations');
      await send('POST', `/v1/escalations/${id}/resolve`, { by: 'sup.l', resolution: 'Секретныйответ' });
      expect(
        (await send('POST', `/v1/escalations/${id}/resolve`, { by: 'sup.l', resolution: 'Секретныйответ2' }))
          .statusCode,
      ).toBe(409);
      expect(
        (await send('POST', `/v1/escalations/${id}/resolve`, { by: 'sup.l', resolution: 'Секретныйответ3\u0007' }))
          .statusCode,
      ).toBe(400);
      expect((await send('POST', `/v1/escalations/${id}/acknowledge`, { by: 'Секретныйответ4' })).statusCode).toBe(400);
    } finally {
      await logged.close();
    }
    expect(lines.length).toBeGreaterThan(5);
    expect(lines.join('\n')).not.toMatch(/Тайнаяреклама|Секретныйответ/);
  });
});
