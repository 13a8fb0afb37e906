/**
 * Every error status of SPEC §3, each as application/problem+json with type, title, status
 * and detail, and each leaving the call as it was.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply, expectProblem, getHistory, getView, newCall, problemOf, sendEvent, uniqueId } from '../support/api.js';
import { buildTestApp, post, type TestApp } from '../support/app.js';

let app: TestApp;
beforeAll(async () => {
  app = await buildTestApp({ HOLD_CHECK_SECONDS: '60' });
});
afterAll(async () => {
  await app?.close();
});

/** The call must be exactly as before the bad request. */
async function unchanged(callId: string, run: () => Promise<void>) {
  const view = await getView(app, callId);
  const history = await getHistory(app, callId);
  await run();
  expect(await getView(app, callId)).toEqual(view);
  expect(await getHistory(app, callId)).toEqual(history);
}

describe('400 invalid body or parameters', () => {
  const badIds = ['a b', 'a/b', 'a?b', 'a#b', 'a,b', 'звонок', '', 'x'.repeat(129), 'a\u0000b', 'a"b'];
  it.each(badIds.map((id) => [JSON.stringify(id).slice(0, 40), id]))(
    'POST /v1/calls with callId %s',
    async (_label, callId) => {
      const problem = problemOf(await post(app, '/v1/calls', { callId }), 400);
      expect(problem.detail).toMatch(/callId/);
      if (callId) {
        expect(
          (await app.inject({ method: 'GET', url: `/v1/calls/${encodeURIComponent(callId)}` })).statusCode,
        ).not.toBe(200);
      }
    },
  );

  it('a 129-character callId in every path is a 400 (128 is fine)', async () => {
    const long = 'x'.repeat(129);
    for (const [method, suffix] of [
      ['GET', ''],
      ['GET', '/history'],
      ['GET', '/stream'],
      ['POST', '/events'],
    ] as const) {
      const res = await app.inject({
        method,
        url: `/v1/calls/${long}${suffix}`,
        ...(method === 'POST' ? { payload: { type: 'call.hold' } } : {}),
      });
      const problem = problemOf(res, 400);
      expect(problem.detail).toMatch(/callId/);
    }
    // Far over any limit: still a problem 400, not a router error.
    problemOf(await app.inject({ method: 'GET', url: `/v1/calls/${'y'.repeat(5000)}` }), 400);
    // 128 characters: routed, and simply unknown.
    problemOf(await app.inject({ method: 'GET', url: `/v1/calls/${'z'.repeat(128)}` }), 404);
  });

  it('bad characters in the path are a 400', async () => {
    for (const raw of ['a%20b', 'a%2Fb', '%D0%B7%D0%B2', 'a%22b', 'a%3Cb']) {
      problemOf(await app.inject({ method: 'GET', url: `/v1/calls/${raw}` }), 400);
      problemOf(
        await app.inject({ method: 'POST', url: `/v1/calls/${raw}/events`, payload: { type: 'call.hold' } }),
        400,
      );
    }
    // A malformed escape.
    problemOf(await app.inject({ method: 'GET', url: '/v1/calls/a%ZZb' }), 400);
  });

  const badCreates: [string, unknown, RegExp][] = [
    ['missing callId', {}, /callId/],
    ['callId a number', { callId: 42 }, /callId/],
    ['unknown top-level field', { callId: 'ok-1', extra: true }, /extra/],
    ['unknown customer field', { callId: 'ok-1', customer: { firstName: 'Иван', age: 40 } }, /age/],
    ['customer without firstName', { callId: 'ok-1', customer: { patronymic: 'Петрович' } }, /firstName/],
    ['empty firstName', { callId: 'ok-1', customer: { firstName: '' } }, /firstName/],
    ['firstName over 100', { callId: 'ok-1', customer: { firstName: 'И'.repeat(101) } }, /firstName/],
    ['firstName a number', { callId: 'ok-1', customer: { firstName: 7 } }, /firstName/],
    ['firstName with a NUL', { callId: 'ok-1', customer: { firstName: 'И\u0000' } }, /firstName/],
    ['customer a string', { callId: 'ok-1', customer: 'Иван' }, /customer/],
    ['locale de', { callId: 'ok-1', locale: 'de' }, /locale/],
    ['locale RU', { callId: 'ok-1', locale: 'RU' }, /locale/],
    ['body an array', [{ callId: 'ok-1' }], /body/],
    ['body a string', 'ok-1', /body/],
  ];
  it.each(badCreates)('POST /v1/calls: %s', async (_title, body, field) => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/calls',
      payload: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });
    const problem = problemOf(res, 400);
    expect(problem.detail).toMatch(field);
    problemOf(await app.inject({ method: 'GET', url: '/v1/calls/ok-1' }), 404);
  });

  const badEvents: [string, unknown, RegExp][] = [
    ['unknown type', { type: 'customer.sings' }, /type/],
    ['type a number', { type: 3 }, /type/],
    ['missing type', { data: {} }, /type/],
    ['unknown top-level field', { type: 'call.hold', extra: 1 }, /extra/],
    ['id a number', { type: 'call.hold', id: 5 }, /id/],
    ['empty id', { type: 'call.hold', id: '' }, /id/],
    ['id with a NUL', { type: 'call.hold', id: 'a\u0000b' }, /id/],
    ['id with a lone surrogate', { type: 'call.hold', id: 'a\ud800b' }, /id/],
    [
      'firstName with a control character',
      { type: 'customer.identified', data: { firstName: 'Ив\u0007ан' } },
      /firstName/,
    ],
    ['topic with a NUL', { type: 'customer.unknown-topic', data: { topic: 'x\u0000' } }, /topic/],
    ['data a string', { type: 'call.hold', data: 'x' }, /data/],
    ['data an array', { type: 'call.hold', data: [] }, /data/],
    ['data null', { type: 'call.hold', data: null }, /data/],
    ['unknown data field on an event without data', { type: 'call.hold', data: { reason: 'x' } }, /reason/],
    [
      'unknown data field beside known ones',
      { type: 'customer.identified', data: { firstName: 'Иван', age: 3 } },
      /age/,
    ],
    ['identified without data', { type: 'customer.identified' }, /firstName/],
    ['identified with empty data', { type: 'customer.identified', data: {} }, /firstName/],
    ['firstName a number', { type: 'customer.identified', data: { firstName: 5 } }, /firstName/],
    ['firstName empty', { type: 'customer.identified', data: { firstName: '' } }, /firstName/],
    ['firstName over 100', { type: 'customer.identified', data: { firstName: 'a'.repeat(101) } }, /firstName/],
    ['patronymic a number', { type: 'customer.identified', data: { firstName: 'Иван', patronymic: 1 } }, /patronymic/],
    ['unknown topic without topic', { type: 'customer.unknown-topic' }, /topic/],
    ['topic a number', { type: 'customer.unknown-topic', data: { topic: 123 } }, /topic/],
    ['topic empty', { type: 'customer.unknown-topic', data: { topic: '' } }, /topic/],
    ['topic over 500', { type: 'customer.unknown-topic', data: { topic: 't'.repeat(501) } }, /topic/],
    ['contact refused without field', { type: 'customer.contact-refused', data: {} }, /field/],
    ['contact refused, field fax', { type: 'customer.contact-refused', data: { field: 'fax' } }, /field/],
    ['hangup by alien', { type: 'call.hangup', data: { by: 'alien' } }, /by/],
    ['hangup by a number', { type: 'call.hangup', data: { by: 1 } }, /by/],
    ['body an array', [{ type: 'call.hold' }], /body/],
  ];
  it.each(badEvents)('POST events: %s', async (_title, body, field) => {
    const { callId } = await newCall(app);
    await unchanged(callId, async () => {
      const res = await app.inject({
        method: 'POST',
        url: `/v1/calls/${callId}/events`,
        payload: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      });
      const problem = problemOf(res, 400);
      expect(problem.detail).toMatch(field);
    });
  });

  it('an invalid event is a 400 even for an unknown call or when it would not be allowed', async () => {
    problemOf(await sendEvent(app, uniqueId('ghost'), { type: 'customer.sings' }), 400);
    const { callId } = await newCall(app);
    problemOf(await sendEvent(app, callId, { type: 'customer.repeat-request', data: { n: 1 } }), 400);
  });

  it('broken JSON, an empty JSON body and a JSON null are 400', async () => {
    const { callId } = await newCall(app);
    await unchanged(callId, async () => {
      for (const payload of [
        '{"type":',
        '{type: "call.hold"}',
        "{'type':'call.hold'}",
        '',
        'null',
        '{"__proto__":{"x":1},"type":"call.hold"}',
      ]) {
        const res = await app.inject({
          method: 'POST',
          url: `/v1/calls/${callId}/events`,
          payload,
          headers: { 'content-type': 'application/json' },
        });
        problemOf(res, 400);
      }
    });
  });

  it.each([
    ['limit=0'],
    ['limit=501'],
    ['limit=abc'],
    ['limit=1.5'],
    ['limit=-1'],
    ['status=foo'],
    ['status=ACTIVE'],
    ['cursor='],
    ['bogus=1'],
  ])('GET /v1/calls?%s', async (query) => {
    problemOf(await app.inject({ method: 'GET', url: `/v1/calls?${query}` }), 400);
  });

  it('a Last-Event-ID that is not a number is a 400', async () => {
    const { callId } = await newCall(app);
    problemOf(
      await app.inject({ method: 'GET', url: `/v1/calls/${callId}/stream`, headers: { 'last-event-id': 'abc' } }),
      400,
    );
  });
});

describe('404 unknown call', () => {
  it.each([
    ['GET', ''],
    ['GET', '/history'],
    ['GET', '/stream'],
    ['POST', '/events'],
  ] as const)('%s /v1/calls/{unknown}%s', async (method, suffix) => {
    const callId = uniqueId('unknown');
    const res = await app.inject({
      method,
      url: `/v1/calls/${callId}${suffix}`,
      ...(method === 'POST' ? { payload: { type: 'call.hold', id: 'e1' } } : {}),
    });
    const problem = problemOf(res, 404);
    expect(problem.detail).toContain(callId);
    // The failed event did not create the call.
    problemOf(await app.inject({ method: 'GET', url: `/v1/calls/${callId}` }), 404);
  });

  it('an unknown route is a 404 problem too', async () => {
    problemOf(await app.inject({ method: 'GET', url: '/v1/nothing-here' }), 404);
  });
});

describe('409', () => {
  it('an event not allowed now lists allowedEvents (and changes nothing)', async () => {
    const { callId } = await newCall(app);
    // A repeat request before any answer is not allowed now (SPEC §2).
    await unchanged(callId, async () => {
      const view = await getView(app, callId);
      const problem = problemOf(await sendEvent(app, callId, { type: 'customer.repeat-request', id: 'r1' }), 409);
      expect(problem.allowedEvents).toEqual(view.allowedEvents);
      expect(problem.allowedEvents).not.toContain('customer.repeat-request');
    });
    // The id of a refused event is not used up.
    await apply(app, callId, { type: 'answer.given' });
    expect((await apply(app, callId, { type: 'customer.repeat-request', id: 'r1' })).counters.repeats).toBe(1);

    // On hold only unhold, speech, identified and hangup.
    const held = await apply(app, callId, { type: 'call.hold' });
    for (const type of ['answer.given', 'customer.prank', 'call.hold', 'offer.accepted', 'connection.restored']) {
      await unchanged(callId, async () => {
        const problem = problemOf(await sendEvent(app, callId, { type }), 409);
        expect((problem.allowedEvents as string[]).slice().sort()).toEqual(held.allowedEvents.slice().sort());
        expect(problem.detail).toContain(type);
      });
    }
  });

  it('offer.accepted / offer.declined only while the offer is pending', async () => {
    const { callId } = await newCall(app);
    for (const type of ['offer.accepted', 'offer.declined']) problemOf(await sendEvent(app, callId, { type }), 409);
    await apply(app, callId, { type: 'customer.non-citizen' });
    await apply(app, callId, { type: 'offer.accepted' });
    problemOf(await sendEvent(app, callId, { type: 'offer.declined' }), 409);
  });

  it('an ended call takes no event, whatever its type', async () => {
    const { callId } = await newCall(app);
    await apply(app, callId, { type: 'customer.profanity' });
    await apply(app, callId, { type: 'customer.profanity' });
    for (const body of [
      { type: 'call.hangup' },
      { type: 'customer.identified', data: { firstName: 'Иван' } },
      { type: 'answer.given', id: 'after-end' },
      { type: 'call.hold' },
    ]) {
      await unchanged(callId, async () => {
        const problem = problemOf(await sendEvent(app, callId, body), 409);
        expect(problem.detail).toMatch(/ended/);
      });
    }
  });

  it('the same event id with another body is an idempotency conflict', async () => {
    const { callId } = await newCall(app);
    await apply(app, callId, { type: 'customer.identified', id: 'k1', data: { firstName: 'Иван' } });
    for (const body of [
      { type: 'customer.identified', id: 'k1', data: { firstName: 'Пётр' } },
      { type: 'customer.identified', id: 'k1', data: { firstName: 'Иван', patronymic: 'Петрович' } },
      { type: 'customer.location-question', id: 'k1', data: {} },
      { type: 'call.hold', id: 'k1' },
    ]) {
      await unchanged(callId, async () => {
        const res = await sendEvent(app, callId, body);
        const problem = problemOf(res, 409);
        expect(problem.detail).toContain('k1');
        expect(problem.type).not.toBe(problemOf(await sendEvent(app, callId, { type: 'call.unhold' }), 409).type);
      });
    }
  });
});

describe('415 not JSON', () => {
  it.each([
    ['text/plain', '{"callId":"plain-1"}'],
    ['application/x-www-form-urlencoded', 'callId=plain-1'],
    ['multipart/form-data; boundary=x', '--x\r\n\r\n--x--'],
    ['application/xml', '<callId>plain-1</callId>'],
  ])('content-type %s', async (type, payload) => {
    problemOf(await app.inject({ method: 'POST', url: '/v1/calls', payload, headers: { 'content-type': type } }), 415);
    problemOf(await app.inject({ method: 'GET', url: '/v1/calls/plain-1' }), 404);
  });

  it('no content-type with a body', async () => {
    const { callId } = await newCall(app);
    await unchanged(callId, async () => {
      problemOf(
        await app.inject({ method: 'POST', url: `/v1/calls/${callId}/events`, payload: '{"type":"call.hold"}' }),
        415,
      );
    });
    problemOf(await app.inject({ method: 'POST', url: '/v1/calls', payload: '{"callId":"plain-2"}' }), 415);
    problemOf(await app.inject({ method: 'GET', url: '/v1/calls/plain-2' }), 404);
  });
});

describe('413 over a real socket', () => {
  let base: string;
  let server: TestApp;
  beforeAll(async () => {
    server = await buildTestApp();
    await server.listen({ port: 0, host: '127.0.0.1' });
    const address = server.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await server?.close();
  });

  const threeMegabytes = (callId: string) => JSON.stringify({ callId, pad: 'x'.repeat(3 * 1024 * 1024) });

  /** A raw http.request that writes the whole body; resolves with the answer or the socket error. */
  function rawPost(path: string, body: string, headers: Record<string, string>) {
    return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string } | { error: string }>(
      (resolve) => {
        const req = http.request(
          `${base}${path}`,
          { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (d) => (text += d));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
          },
        );
        req.on('error', (error) => resolve({ error: (error as NodeJS.ErrnoException).code ?? error.message }));
        req.end(body);
      },
    );
  }

  it('fetch with a 3 MB body reads the 413 problem, not a reset', async () => {
    const callId = uniqueId('big');
    const res = await fetch(`${base}/v1/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: threeMegabytes(callId),
    });
    expectProblem(res, await res.json(), 413);
    expect((await fetch(`${base}/v1/calls/${callId}`)).status).toBe(404);
  });

  it('http.request with a 3 MB event body reads the 413 problem; the call is unchanged', async () => {
    const { callId } = await newCall(server);
    const before = await getHistory(server, callId);
    const body = JSON.stringify({ type: 'customer.unknown-topic', data: { topic: 'x'.repeat(3 * 1024 * 1024) } });
    const answer = await rawPost(`/v1/calls/${callId}/events`, body, { 'content-type': 'application/json' });
    if ('error' in answer) throw new Error(`socket error instead of 413: ${answer.error}`);
    expectProblem(
      { statusCode: answer.status, headers: answer.headers as Record<string, unknown> },
      JSON.parse(answer.body),
      413,
    );
    expect(await getHistory(server, callId)).toEqual(before);
    expect((await getView(server, callId)).version).toBe(0);
    // The server goes on answering.
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('a 15 MB upload reads the 413 and finishes without a socket error, five times in a row', async () => {
    // docs/adr/0006: answered early, 19 of 20 such uploads ended in a socket error after the 413.
    const body = JSON.stringify({ callId: 'huge', pad: 'x'.repeat(15 * 1024 * 1024) });
    for (let i = 0; i < 5; i++) {
      const outcome = await new Promise<{ status: number; text: string; socketError: string | null }>((resolve) => {
        let status = 0;
        let text = '';
        let socketError: string | null = null;
        const req = http.request(`${base}/v1/calls`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
        });
        req.on('response', (res) => {
          status = res.statusCode ?? 0;
          res.setEncoding('utf8');
          res.on('data', (d) => (text += d));
        });
        req.on('error', (error: NodeJS.ErrnoException) => (socketError = error.code ?? error.message));
        // 'close' comes last, after the answer and after any error of the upload.
        req.on('close', () => resolve({ status, text, socketError }));
        req.end(body);
      });
      expect({ status: outcome.status, socketError: outcome.socketError }, `try ${i + 1}`).toEqual({
        status: 413,
        socketError: null,
      });
      expect(JSON.parse(outcome.text)).toMatchObject({ status: 413, type: expect.stringContaining('body-too-large') });
    }
  });

  it('just over 1 MiB is a 413; just under is accepted', async () => {
    const callId = uniqueId('edge');
    const over = JSON.stringify({ callId, customer: { firstName: 'x' }, locale: 'ru' }).length;
    const padOver = ' '.repeat(1024 * 1024 + 1 - over);
    const res = await fetch(`${base}/v1/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ callId, customer: { firstName: 'x' }, locale: 'ru' }) + padOver,
    });
    expectProblem(res, await res.json(), 413);
    const under = await fetch(`${base}/v1/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ callId, customer: { firstName: 'x' }, locale: 'ru' }) + ' '.repeat(1024 * 1024 - 1 - over),
    });
    expect(under.status).toBe(201);
  });

  it('a body without content-type over a real socket is a 415', async () => {
    const answer = await rawPost('/v1/calls', JSON.stringify({ callId: 'raw-415' }), {});
    if ('error' in answer) throw new Error(answer.error);
    expectProblem(
      { statusCode: answer.status, headers: answer.headers as Record<string, unknown> },
      JSON.parse(answer.body),
      415,
    );
  });
});
