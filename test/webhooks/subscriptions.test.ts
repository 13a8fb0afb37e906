/**
 * SPEC §7, subscriptions: create (a `whsec_` secret of 24 random bytes), list (no secrets), get
 * (with it), delete; every invalid subscription is a 400 problem naming the field, and nothing
 * is stored for it; private destinations are refused by their resolved address unless
 * WEBHOOK_ALLOW_PRIVATE=true.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { problemOf } from '../support/api.js';
import { buildTestApp, post, type TestApp } from '../support/app.js';

const ALL_TYPES = ['call.created', 'call.updated', 'call.ended', 'escalation.created', 'escalation.updated'];

describe('webhook subscriptions', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await buildTestApp();
  });
  afterAll(() => app.close());

  const list = async () => (await app.inject({ url: '/v1/webhooks' })).json().webhooks as Record<string, unknown>[];

  it('creates with a whsec_ secret, lists without it, gets with it, deletes', async () => {
    const res = await post(app, '/v1/webhooks', {
      url: 'https://93.184.215.14/hooks/callflow',
      types: ['call.ended', 'call.created'],
      description: 'CRM «Сигма»',
    });
    expect(res.statusCode, res.body).toBe(201);
    const created = res.json();
    expect(created).toEqual({
      id: expect.stringMatching(/^ep_[A-Za-z0-9_-]+$/),
      url: 'https://93.184.215.14/hooks/callflow',
      types: ['call.created', 'call.ended'],
      description: 'CRM «Сигма»',
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]+=*$/),
      createdAt: expect.any(String),
      status: 'active',
      disabledAt: null,
      disabledReason: null,
    });
    expect(Buffer.from(created.secret.slice('whsec_'.length), 'base64')).toHaveLength(24);

    const listed = await list();
    const summary = listed.find((e) => e.id === created.id);
    expect(summary).toEqual({ ...created, secret: undefined });
    expect(JSON.stringify(listed)).not.toContain(created.secret);

    const got = await app.inject({ url: `/v1/webhooks/${created.id}` });
    expect(got.statusCode).toBe(200);
    expect(got.json()).toEqual(created);

    // Two endpoints never share a secret or an id.
    const other = (await post(app, '/v1/webhooks', { url: 'http://93.184.215.14:8080/x' })).json();
    expect(other.secret).not.toBe(created.secret);
    expect(other.id).not.toBe(created.id);
    expect(other.types).toEqual(ALL_TYPES);

    const deleted = await app.inject({ method: 'DELETE', url: `/v1/webhooks/${created.id}` });
    expect(deleted.statusCode).toBe(204);
    expect(deleted.body).toBe('');
    problemOf(await app.inject({ url: `/v1/webhooks/${created.id}` }), 404);
    problemOf(await app.inject({ method: 'DELETE', url: `/v1/webhooks/${created.id}` }), 404);
    expect((await list()).map((e) => e.id)).not.toContain(created.id);
  });

  const INVALID: [string, Record<string, unknown>, string][] = [
    ['not a URL', { url: 'crm/hooks' }, 'body.url'],
    ['an ftp: URL', { url: 'ftp://93.184.215.14/hooks' }, 'body.url'],
    ['a file: URL', { url: 'file:///etc/passwd' }, 'body.url'],
    ['credentials in the URL', { url: 'https://user:pw@93.184.215.14/' }, 'body.url'],
    ['a host that does not resolve', { url: 'https://no-such-host.invalid/hooks' }, 'body.url'],
    ['loopback (127.0.0.1)', { url: 'http://127.0.0.1:9000/hooks' }, 'body.url'],
    ['loopback by name (localhost resolves to it)', { url: 'http://localhost:9000/hooks' }, 'body.url'],
    ['loopback IPv6', { url: 'http://[::1]:9000/hooks' }, 'body.url'],
    ['IPv4-mapped loopback', { url: 'http://[::ffff:127.0.0.1]/hooks' }, 'body.url'],
    ['private 10/8', { url: 'https://10.1.2.3/hooks' }, 'body.url'],
    ['private 172.16/12', { url: 'https://172.20.0.5/hooks' }, 'body.url'],
    ['private 192.168/16', { url: 'https://192.168.1.10/hooks' }, 'body.url'],
    ['link-local (cloud metadata)', { url: 'http://169.254.169.254/latest' }, 'body.url'],
    ['unique-local IPv6', { url: 'http://[fd12:3456::1]/hooks' }, 'body.url'],
    ['unspecified', { url: 'http://0.0.0.0/hooks' }, 'body.url'],
    ['no URL', { types: ['call.created'] }, 'body.url'],
    ['a URL that is not a string', { url: 42 }, 'body.url'],
    ['an unknown type', { url: 'https://93.184.215.14/', types: ['call.created', 'call.deleted'] }, 'body.types.1'],
    ['no types at all', { url: 'https://93.184.215.14/', types: [] }, 'body.types'],
    ['a type twice', { url: 'https://93.184.215.14/', types: ['call.ended', 'call.ended'] }, 'body.types'],
    ['an unknown field', { url: 'https://93.184.215.14/', secret: 'whsec_mine' }, 'body.secret'],
    [
      'a description with control characters',
      { url: 'https://93.184.215.14/', description: 'a\u0007b' },
      'body.description',
    ],
  ];

  for (const [what, body, field] of INVALID) {
    it(`refuses ${what}: 400 naming ${field}, nothing stored`, async () => {
      const before = (await list()).length;
      const problem = problemOf(await post(app, '/v1/webhooks', body), 400);
      const errors = problem.errors as { field: string; message: string }[];
      expect(errors.map((e) => e.field)).toContain(field);
      expect(problem.detail).toContain(field);
      expect((await list()).length).toBe(before);
    });
  }

  it('says why a private address is refused, and how to allow it', async () => {
    const problem = problemOf(await post(app, '/v1/webhooks', { url: 'http://localhost:1/x' }), 400);
    expect(problem.detail).toMatch(/127\.0\.0\.1|::1/);
    expect(problem.detail).toContain('WEBHOOK_ALLOW_PRIVATE');
  });

  it('answers 404 for an unknown endpoint and 400 for a malformed id, on every route', async () => {
    for (const [method, url] of [
      ['GET', '/v1/webhooks/ep_unknown'],
      ['DELETE', '/v1/webhooks/ep_unknown'],
      ['GET', '/v1/webhooks/ep_unknown/deliveries'],
      ['POST', '/v1/webhooks/ep_unknown/deliveries/msg_unknown/retry'],
    ] as const) {
      problemOf(await app.inject({ method, url, ...(method === 'POST' ? { payload: {} } : {}) }), 404);
      problemOf(
        await app.inject({
          method,
          url: url.replace('ep_unknown', 'nope'),
          ...(method === 'POST' ? { payload: {} } : {}),
        }),
        400,
      );
    }
    const endpoint = (await post(app, '/v1/webhooks', { url: 'https://93.184.215.14/' })).json();
    const missing = problemOf(await post(app, `/v1/webhooks/${endpoint.id}/deliveries/msg_unknown/retry`, {}), 404);
    expect(missing.detail).toContain('msg_unknown');
    problemOf(await app.inject({ url: `/v1/webhooks/${endpoint.id}/deliveries?status=lost` }), 400);
    problemOf(await app.inject({ url: `/v1/webhooks/${endpoint.id}/deliveries?limit=0` }), 400);
    problemOf(await app.inject({ url: `/v1/webhooks/${endpoint.id}/deliveries?cursor=abc` }), 400);
  });

  it('is in the OpenAPI with its schemas', async () => {
    const spec = (await app.inject({ url: '/docs/json' })).json();
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining([
        '/v1/webhooks',
        '/v1/webhooks/{id}',
        '/v1/webhooks/{id}/deliveries',
        '/v1/webhooks/{id}/deliveries/{messageId}/retry',
      ]),
    );
    const create = spec.paths['/v1/webhooks'].post;
    expect(create.description).toContain('Roles: admin.');
    expect(Object.keys(create.responses)).toEqual(expect.arrayContaining(['201', '400', '401', '403']));
  });
});

describe('WEBHOOK_ALLOW_PRIVATE=true', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await buildTestApp({ WEBHOOK_ALLOW_PRIVATE: 'true' });
  });
  afterAll(() => app.close());

  it('takes loopback and private destinations; the form rules still hold', async () => {
    for (const url of ['http://127.0.0.1:9000/hooks', 'http://localhost:9000/', 'https://10.1.2.3/']) {
      expect((await post(app, '/v1/webhooks', { url })).statusCode, url).toBe(201);
    }
    problemOf(await post(app, '/v1/webhooks', { url: 'ftp://127.0.0.1/' }), 400);
  });
});
