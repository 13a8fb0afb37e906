/**
 * The routes around the calls (SPEC §3): catalogue, machine, health, readiness, metrics,
 * OpenAPI docs; and API_TOKENS (SPEC §4): /v1 needs a bearer, the rest stays open.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply, applyAll, newCall, problemOf } from '../support/api.js';
import { buildTestApp, post, type TestApp } from '../support/app.js';
import { FIXED } from './texts.js';

let app: TestApp;
beforeAll(async () => {
  app = await buildTestApp();
});
afterAll(async () => {
  await app?.close();
});

describe('GET /v1/script', () => {
  it('returns both catalogues as JSON, with the seed phrases verbatim', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/script' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const body = res.json() as {
      locales: string[];
      catalogues: Record<
        string,
        { prompts: Record<string, { text: string; instruction: string | null; source: string }> }
      >;
    };
    expect(body.locales.slice().sort()).toEqual(['en', 'ru']);
    const ru = body.catalogues.ru?.prompts ?? {};
    expect(ru.greeting).toMatchObject({ text: FIXED.greeting, source: 'callflow' });
    expect(ru['prank.warning']).toMatchObject({ text: FIXED['prank.warning'], source: 'seed' });
    expect(ru['hold.start']?.text).toBe('И.О., оставайтесь, пожалуйста, на линии, я уточню информацию');
    expect(Object.keys(body.catalogues.en?.prompts ?? {}).sort()).toEqual(Object.keys(ru).sort());
  });
});

describe('GET /v1/machine', () => {
  it('describes the statechart: states, transitions with events, the hold delay', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/machine' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const text = res.body;
    const body = JSON.parse(text) as Record<string, unknown>;
    expect(typeof body).toBe('object');
    // Every API event appears somewhere as a transition's event.
    for (const event of [
      'call.hold',
      'call.unhold',
      'customer.speech',
      'answer.given',
      'offer.declined',
      'call.hangup',
    ]) {
      expect(text).toContain(`"${event}"`);
    }
    // The hold check delay is the configured one (0.2 s in tests).
    expect(text).toMatch(/"ms":\s*200\b/);
    expect(text).toContain('hold.check');
  });
});

describe('health, readiness, metrics, docs', () => {
  it('/healthz and /readyz answer 200', async () => {
    const health = await app.inject({ method: 'GET', url: '/healthz' });
    expect(health.statusCode).toBe(200);
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready' });
  });

  it('/metrics is Prometheus text and counts requests, calls and events', async () => {
    const { callId } = await newCall(app);
    await apply(app, callId, { type: 'customer.prank' });
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const lines = res.body.trimEnd().split('\n');
    // Every line is a comment (# HELP / # TYPE) or `name{labels} value`.
    for (const line of lines) {
      expect(line).toMatch(
        /^(# (HELP|TYPE) [a-zA-Z_:][\w:]* .+|[a-zA-Z_:][\w:]*(\{[^}]*\})? -?[\d.e+-]+|[a-zA-Z_:][\w:]*(\{[^}]*\})? (NaN|\+Inf|-Inf))$/,
      );
    }
    expect(res.body).toMatch(/^# TYPE callflow_http_requests_total counter$/m);
    expect(res.body).toMatch(/^callflow_calls_created_total [1-9]\d*$/m);
    expect(res.body).toMatch(/^callflow_events_applied_total\{[^}]*type="customer\.prank"[^}]*\} [1-9]\d*$/m);
    expect(res.body).toMatch(/^callflow_calls_active [1-9]\d*$/m);
  });

  it('/docs serves the OpenAPI UI and /docs/json lists every route', async () => {
    const ui = await app.inject({ method: 'GET', url: '/docs' });
    expect([200, 302]).toContain(ui.statusCode);
    const res = await app.inject({ method: 'GET', url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json() as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toMatch(/^3\./);
    const expected: [string, string][] = [
      ['/v1/calls', 'post'],
      ['/v1/calls', 'get'],
      ['/v1/calls/{callId}', 'get'],
      ['/v1/calls/{callId}/events', 'post'],
      ['/v1/calls/{callId}/history', 'get'],
      ['/v1/calls/{callId}/stream', 'get'],
      ['/v1/script', 'get'],
      ['/v1/machine', 'get'],
    ];
    for (const [path, method] of expected) expect(doc.paths[path], `${method} ${path}`).toHaveProperty(method);
  });

  it("/docs/json declares errors as application/problem+json and says each route's roles once", async () => {
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as {
      paths: Record<string, Record<string, { description?: string; responses: Record<string, { content?: object }> }>>;
    };
    let errors = 0;
    for (const [path, operations] of Object.entries(doc.paths)) {
      if (!path.startsWith('/v1/')) continue;
      for (const [method, operation] of Object.entries(operations)) {
        expect(operation.description?.match(/Roles:/g), `${method} ${path}`).toHaveLength(1);
        for (const [status, response] of Object.entries(operation.responses)) {
          if (Number(status) < 400 || !response.content) continue;
          errors += 1;
          expect(Object.keys(response.content), `${method} ${path} ${status}`).toEqual(['application/problem+json']);
        }
      }
    }
    expect(errors).toBeGreaterThan(50);
  });
});

describe('API_TOKENS', () => {
  let secured: TestApp;
  beforeAll(async () => {
    secured = await buildTestApp({ API_TOKENS: 'token-one, token-two' });
  });
  afterAll(async () => {
    await secured?.close();
  });

  it('/v1 without a bearer, or with a wrong one, is a 401 problem and creates nothing', async () => {
    for (const authorization of [
      undefined,
      'Bearer nope',
      'Bearer token-one-extra',
      'Basic dG9rZW4tb25lOg==',
      'token-one',
      'Bearer ',
    ]) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (authorization) headers.authorization = authorization;
      const create = await secured.inject({
        method: 'POST',
        url: '/v1/calls',
        payload: { callId: 'secret-1' },
        headers,
      });
      problemOf(create, 401);
      problemOf(await secured.inject({ method: 'GET', url: '/v1/calls', headers }), 401);
      problemOf(await secured.inject({ method: 'GET', url: '/v1/script', headers }), 401);
      problemOf(await secured.inject({ method: 'GET', url: '/v1/calls/secret-1/stream', headers }), 401);
    }
    problemOf(
      await secured.inject({
        method: 'GET',
        url: '/v1/calls/secret-1',
        headers: { authorization: 'Bearer token-two' },
      }),
      404,
    );
  });

  it('every configured token works', async () => {
    for (const [i, token] of ['token-one', 'token-two'].entries()) {
      const res = await secured.inject({
        method: 'POST',
        url: '/v1/calls',
        payload: { callId: `secured-${i}` },
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      });
      expect(res.statusCode, res.body).toBe(201);
    }
  });

  it('health, readiness and metrics stay open', async () => {
    for (const url of ['/healthz', '/readyz', '/metrics']) {
      expect((await secured.inject({ method: 'GET', url })).statusCode, url).toBe(200);
    }
  });

  it('without API_TOKENS no bearer is needed', async () => {
    expect((await post(app, '/v1/calls', { callId: 'open-1' })).statusCode).toBe(201);
  });
});

describe('configured limits (SPEC §4)', () => {
  it('MAX_REPEATS and MAX_CONNECTION_ATTEMPTS change the counting rules', async () => {
    const strict = await buildTestApp({ MAX_REPEATS: '1', MAX_CONNECTION_ATTEMPTS: '2' });
    try {
      const a = await newCall(strict);
      expect((await applyAll(strict, a.callId, ['answer.given', 'customer.repeat-request'])).status).toBe('active');
      expect(await apply(strict, a.callId, { type: 'customer.repeat-request' })).toMatchObject({
        status: 'ended',
        endReason: 'repeat-limit',
        counters: { repeats: 2 },
      });
      const b = await newCall(strict);
      expect((await applyAll(strict, b.callId, ['customer.cannot-hear', 'customer.inaudible'])).status).toBe('active');
      expect(await apply(strict, b.callId, { type: 'customer.cannot-hear' })).toMatchObject({
        status: 'ended',
        endReason: 'connection-lost',
        counters: { connectionAttempts: 3 },
        prompts: [{ key: 'connection.call-back' }],
      });
    } finally {
      await strict.close();
    }
  });
});
