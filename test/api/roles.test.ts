/**
 * SPEC §6: the route × role table. Each row says which roles may call a route; every other
 * role must get a 403 problem that names the roles that would do, and no token a 401.
 * Routes added later add their rows here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOGUES } from '../../machines/catalogue.js';
import { buildTestApp, type TestApp } from '../support/app.js';

const TOKENS = { telephony: 'tel-token', operator: 'op-token', supervisor: 'sup-token', admin: 'adm-token' };
type Role = keyof typeof TOKENS;
const ROLES = Object.keys(TOKENS) as Role[];

interface Row {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  body?: unknown;
  allowed: Role[];
}

const ROWS: Row[] = [
  {
    method: 'POST',
    url: '/v1/calls',
    body: { callId: 'roles-new' },
    allowed: ['telephony', 'operator', 'supervisor', 'admin'],
  },
  { method: 'GET', url: '/v1/calls', allowed: ['operator', 'supervisor', 'admin'] },
  { method: 'GET', url: '/v1/calls/roles-1', allowed: ['operator', 'supervisor', 'admin'] },
  { method: 'GET', url: '/v1/calls/roles-1/history', allowed: ['operator', 'supervisor', 'admin'] },
  {
    method: 'POST',
    url: '/v1/calls/roles-1/events',
    body: { type: 'customer.location-question' },
    allowed: ['telephony', 'operator', 'supervisor', 'admin'],
  },
  { method: 'GET', url: '/v1/script', allowed: ['operator', 'supervisor', 'admin'] },
  { method: 'GET', url: '/v1/machine', allowed: ['operator', 'supervisor', 'admin'] },
  { method: 'GET', url: '/v1/script?version=1', allowed: ['operator', 'supervisor', 'admin'] },
  { method: 'GET', url: '/v1/script/versions', allowed: ['operator', 'supervisor', 'admin'] },
  // The shipped catalogues again: equal to version 1, so an allowed call publishes nothing (200).
  { method: 'PUT', url: '/v1/script', body: { catalogues: CATALOGUES }, allowed: ['admin'] },
  { method: 'GET', url: '/v1/calls/roles-1/adherence', allowed: ['operator', 'supervisor', 'admin'] },
  // SPEC §8: escalations and reports are the supervisor's (admin has everything).
  { method: 'GET', url: '/v1/escalations', allowed: ['supervisor', 'admin'] },
  { method: 'GET', url: '/v1/escalations/{escalation}', allowed: ['supervisor', 'admin'] },
  {
    method: 'POST',
    url: '/v1/escalations/{fresh}/acknowledge',
    body: { by: 'sup.roles' },
    allowed: ['supervisor', 'admin'],
  },
  {
    method: 'POST',
    url: '/v1/escalations/{fresh}/resolve',
    body: { by: 'sup.roles', resolution: 'done' },
    allowed: ['supervisor', 'admin'],
  },
  {
    method: 'GET',
    url: '/v1/reports/adherence?from=2026-01-01&to=2026-02-01',
    allowed: ['supervisor', 'admin'],
  },
  {
    method: 'POST',
    url: '/v1/adapters/asterisk/events',
    body: { type: 'ChannelVarset', timestamp: '2026-12-02T10:00:00.000+0000', application: 'callflow' },
    allowed: ['telephony', 'admin'],
  },
  {
    method: 'POST',
    url: '/v1/adapters/freeswitch/events',
    body: { 'Event-Name': 'HEARTBEAT' },
    allowed: ['telephony', 'admin'],
  },
  // Webhooks (SPEC §7): admin only. {webhook}, {message} and {doomed} are made in beforeAll.
  { method: 'POST', url: '/v1/webhooks', body: { url: 'https://93.184.215.14/hooks' }, allowed: ['admin'] },
  { method: 'GET', url: '/v1/webhooks', allowed: ['admin'] },
  { method: 'GET', url: '/v1/webhooks/{webhook}', allowed: ['admin'] },
  { method: 'GET', url: '/v1/webhooks/{webhook}/deliveries', allowed: ['admin'] },
  { method: 'POST', url: '/v1/webhooks/{webhook}/deliveries/{message}/retry', body: {}, allowed: ['admin'] },
  { method: 'DELETE', url: '/v1/webhooks/{doomed}', allowed: ['admin'] },
  { method: 'DELETE', url: '/v1/calls/roles-1/personal-data', allowed: ['admin'] },
  { method: 'GET', url: '/v1/erasures', allowed: ['admin'] },
];

/** Stream routes: the same table, the token in the query (EventSource sends no headers). */
const STREAMS = [{ url: '/v1/escalations/stream', allowed: ['supervisor', 'admin'] as Role[] }];

/** Ids the rows' URLs name, made before the first row runs. */
const made: Record<string, string> = {};

describe('roles (API_TOKENS with TOKEN:ROLE)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await buildTestApp({
      API_TOKENS: `${ROLES.map((role) => `${TOKENS[role]}:${role}`).join(',')},bare-token`,
    });
    const created = await app.inject({
      method: 'POST',
      url: '/v1/calls',
      headers: { authorization: `Bearer ${TOKENS.admin}` },
      payload: { callId: 'roles-1' },
    });
    expect(created.statusCode).toBe(201);
    escalation = await raise();
    for (const name of ['webhook', 'doomed']) {
      const hook = await app.inject({
        method: 'POST',
        url: '/v1/webhooks',
        headers: { authorization: `Bearer ${TOKENS.admin}` },
        payload: { url: 'https://93.184.215.14/roles' },
      });
      expect(hook.statusCode).toBe(201);
      made[name] = hook.json().id;
    }
    // A failed message to retry, as the delivery would have left it.
    made.message = 'msg_roles';
    const failed = await app.store.transaction([
      {
        sql: `INSERT INTO webhook_messages (id, endpoint_id, call_id, type, body, created_at, status, attempts, round_start, due_at)
          VALUES (?, ?, 'roles-1', 'call.created', '{}', 0, 'failed', 9, 0, 0)`,
        params: [made.message, made.webhook as string],
      },
    ]);
    expect(failed.ok).toBe(true);
  });
  afterAll(() => app.close());
  let escalation = '';
  /** A new open escalation (each allowed transition needs its own). */
  const raise = async () => {
    const raised = await app.inject({
      method: 'POST',
      url: '/v1/calls/roles-1/events',
      headers: { authorization: `Bearer ${TOKENS.admin}` },
      payload: { type: 'customer.unknown-topic', data: { topic: 'roles' } },
    });
    return raised.json().actions[0].id as string;
  };
  let base: string | null = null;
  const listening = async () => {
    if (base === null) {
      await app.listen({ port: 0, host: '127.0.0.1' });
      base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    }
    return base;
  };

  const call = async (row: Row, token: string | null) =>
    app.inject({
      method: row.method,
      url: row.url
        .replace('{escalation}', escalation)
        .replace('{fresh}', row.url.includes('{fresh}') ? await raise() : '')
        .replace(/\{(\w+)\}/g, (_, name: string) => made[name] ?? name),
      headers: token ? { authorization: `Bearer ${token}` } : {},
      ...(row.body === undefined ? {} : { payload: row.body as object }),
    });

  for (const row of ROWS) {
    for (const role of ROLES) {
      const allowed = row.allowed.includes(role);
      it(`${row.method} ${row.url} as ${role}: ${allowed ? 'allowed' : '403'}`, async () => {
        const response = await call(row, TOKENS[role]);
        if (allowed) {
          expect(response.statusCode).toBeLessThan(400);
        } else {
          expect(response.statusCode).toBe(403);
          expect(response.headers['content-type']).toContain('application/problem+json');
          const problem = response.json();
          expect(problem).toMatchObject({ status: 403, title: 'Forbidden' });
          for (const needed of row.allowed) expect(problem.detail).toContain(needed);
        }
      });
    }
    it(`${row.method} ${row.url} without a token: 401`, async () => {
      const response = await call(row, null);
      expect(response.statusCode).toBe(401);
      expect(response.json().status).toBe(401);
    });
    it(`${row.method} ${row.url} with an unknown token: 401`, async () => {
      expect((await call(row, 'not-a-token')).statusCode).toBe(401);
    });
  }

  for (const stream of STREAMS) {
    for (const role of ROLES) {
      const allowed = stream.allowed.includes(role);
      it(`GET ${stream.url}?access_token= as ${role}: ${allowed ? 'allowed' : '403'}`, async () => {
        const controller = new AbortController();
        const res = await fetch(`${await listening()}${stream.url}?access_token=${TOKENS[role]}`, {
          signal: controller.signal,
        });
        controller.abort();
        expect(res.status).toBe(allowed ? 200 : 403);
      });
    }
    it(`GET ${stream.url} without a token: 401`, async () => {
      expect((await app.inject({ method: 'GET', url: stream.url })).statusCode).toBe(401);
    });
  }

  it('a bare token (no role) is admin, as in the first release', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/v1/calls',
      headers: { authorization: 'Bearer bare-token' },
    });
    expect(response.statusCode).toBe(200);
  });

  it('a refused create changes nothing', async () => {
    const refused = await app.inject({
      method: 'POST',
      url: '/v1/calls',
      headers: { authorization: `Bearer ${TOKENS.operator}x` },
      payload: { callId: 'roles-refused' },
    });
    expect(refused.statusCode).toBe(401);
    const read = await app.inject({
      method: 'GET',
      url: '/v1/calls/roles-refused',
      headers: { authorization: `Bearer ${TOKENS.admin}` },
    });
    expect(read.statusCode).toBe(404);
  });

  it('probes stay open', async () => {
    for (const url of ['/healthz', '/readyz', '/metrics']) {
      expect((await app.inject({ method: 'GET', url })).statusCode).toBe(200);
    }
  });

  it("the OpenAPI names each route's roles and its 403", async () => {
    const spec = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
    const operation = spec.paths['/v1/calls/{callId}/history'].get;
    expect(operation.description).toContain('Roles: operator, supervisor, admin.');
    expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['401', '403', '429']));
  });
});

describe('every /v1 route declares a role', () => {
  it('a route without one refuses to register', async () => {
    const { buildApp } = await import('../../src/app.js');
    const { loadConfig } = await import('../../src/config.js');
    const app = await buildApp(loadConfig({ DATABASE_URL: 'sqlite::memory:', LOG_LEVEL: 'silent' }));
    await expect(
      app.register(async (scope) => {
        scope.get('/v1/unguarded', async () => ({}));
      }),
    ).rejects.toThrow(/declares no role/);
    await app.close();
  });
});

describe('RATE_LIMIT_PER_MINUTE', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await buildTestApp({ API_TOKENS: 'rate-a:operator,rate-b:operator', RATE_LIMIT_PER_MINUTE: '3' });
  });
  afterAll(() => app.close());
  const get = (token: string) =>
    app.inject({ method: 'GET', url: '/v1/machine', headers: { authorization: `Bearer ${token}` } });

  it('over the limit: 429 problem+json with Retry-After, counted per token', async () => {
    for (let i = 0; i < 3; i++) expect((await get('rate-a')).statusCode).toBe(200);
    const over = await get('rate-a');
    expect(over.statusCode).toBe(429);
    expect(over.headers['content-type']).toContain('application/problem+json');
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    expect(over.json()).toMatchObject({ status: 429, title: 'Too Many Requests' });
    // Another token has its own budget.
    expect((await get('rate-b')).statusCode).toBe(200);
    // Probes are not limited.
    for (let i = 0; i < 5; i++) expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });
});
