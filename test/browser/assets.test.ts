/**
 * The page's files as the service serves them (app.inject): only the fixed set, with content
 * types, revalidation headers and a CSP; nothing fetched from anywhere else, so the console
 * works with no internet; open without a token when API_TOKENS guards /v1.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/app.js';

const PUBLIC = new URL('../../public/', import.meta.url);

describe('console assets', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await buildTestApp();
  });
  afterAll(async () => {
    await app.close();
  });

  it('serves the page at / with a CSP that allows this origin only', async () => {
    const res = await app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.body).toContain('<script type="module" src="/ui/main.js">');
  });

  it('serves every file the page refers to, and nothing from another origin', async () => {
    const html = readFileSync(new URL('index.html', PUBLIC), 'utf8');
    const referenced = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    const files = readdirSync(PUBLIC, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => relative(fileURLToPath(PUBLIC), join(entry.parentPath, entry.name)).split(sep).join('/'));
    const modules = files.filter((f) => f.endsWith('.js'));
    expect(modules, 'the console is split into modules').toContain('pages/console.js');
    const urls = [...new Set([...referenced, ...modules.map((f) => `/ui/${f}`), '/ui/vendor/elk.bundled.js'])];
    for (const url of urls) {
      expect(url, 'no CDN').toMatch(/^\//);
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
    }
    for (const file of files) {
      const text = readFileSync(new URL(file, PUBLIC), 'utf8');
      // The SVG namespace is an identifier, not a fetch.
      const external = [...text.matchAll(/https?:\/\/[^\s"'`)]+/g)]
        .map((m) => m[0])
        .filter((u) => !u.startsWith('http://www.w3.org/'));
      expect(external, file).toEqual([]);
    }
    const js = await app.inject({ method: 'GET', url: '/ui/main.js' });
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    const css = await app.inject({ method: 'GET', url: '/ui/app.css' });
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    const icon = await app.inject({ method: 'GET', url: '/ui/favicon.svg' });
    expect(icon.headers['content-type']).toBe('image/svg+xml');
  });

  it('serves elkjs from node_modules, gzipped for clients that take it, and revalidates with ETags', async () => {
    const plain = await app.inject({ method: 'GET', url: '/ui/vendor/elk.bundled.js' });
    expect(plain.statusCode).toBe(200);
    expect(plain.body).toContain('g.ELK = f()');
    const etag = plain.headers.etag as string;
    // @fastify/static's validator: weak, from the file's size and mtime (hex).
    expect(etag).toMatch(/^W\/"[\da-f]+-[\da-f]+"$/);

    const zipped = await app.inject({
      method: 'GET',
      url: '/ui/vendor/elk.bundled.js',
      headers: { 'accept-encoding': 'gzip, deflate' },
    });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.rawPayload.length).toBeLessThan(plain.rawPayload.length / 2);
    expect(gunzipSync(zipped.rawPayload).equals(plain.rawPayload)).toBe(true);

    const again = await app.inject({
      method: 'GET',
      url: '/ui/vendor/elk.bundled.js',
      headers: { 'if-none-match': etag },
    });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });

  it('serves nothing outside its fixed set', async () => {
    for (const url of [
      '/ui/nope.js',
      '/ui/../package.json',
      '/ui/%2e%2e/package.json',
      '/index.html',
      '/ui/vendor/elk-api.js',
      // Beside the modules for tsc only, and the page itself (it lives at /).
      '/ui/tsconfig.json',
      '/ui/types.d.ts',
      '/ui/index.html',
    ]) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
  });

  it('keeps the page open when API_TOKENS guards the API (the page asks for a token)', async () => {
    const guarded = await buildTestApp({ API_TOKENS: 'secret' });
    try {
      expect((await guarded.inject({ method: 'GET', url: '/' })).statusCode).toBe(200);
      expect((await guarded.inject({ method: 'GET', url: '/ui/main.js' })).statusCode).toBe(200);
      expect((await guarded.inject({ method: 'GET', url: '/v1/script' })).statusCode).toBe(401);
    } finally {
      await guarded.close();
    }
  });
});
