/**
 * The operator console and flow inspector: static files from public/ plus elkjs's browser
 * bundle, served by the service itself so the page works with no internet. The set of files is
 * fixed when the plugin registers (public/ is listed once; nothing else on disk is reachable);
 * each file is kept in memory with its ETag and read again only when it changes on disk.
 */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { extname, join } from 'node:path';
import { gzip } from 'node:zlib';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { projectPath } from '../paths.js';

const PUBLIC_DIR = `${projectPath('public')}/`;
const ELK_BUNDLE = createRequire(import.meta.url).resolve('elkjs/lib/elk.bundled.js');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * Everything the page needs comes from this origin; the API and the event stream too. No inline
 * script or style, so an injected string in a phrase or a call id can never run.
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

interface Asset {
  body: Buffer;
  gzipped: Promise<Buffer> | null;
  etag: string;
}

function compress(body: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => gzip(body, (error, out) => (error ? reject(error) : resolve(out))));
}

const uiRoutes: FastifyPluginAsync = async (app) => {
  /** URL path -> file on disk. */
  const files = new Map<string, string>([['/ui/vendor/elk.bundled.js', ELK_BUNDLE]]);
  for (const name of readdirSync(PUBLIC_DIR)) {
    if (!(extname(name) in TYPES)) continue;
    files.set(name === 'index.html' ? '/' : `/ui/${name}`, join(PUBLIC_DIR, name));
  }

  const cache = new Map<string, { version: string; asset: Promise<Asset> }>();
  /** The file as it is now: re-read when its size or mtime changed (an edit during development). */
  const load = async (path: string, file: string): Promise<Asset> => {
    const info = await stat(file);
    const version = `${info.size}:${info.mtimeMs}`;
    let entry = cache.get(path);
    if (!entry || entry.version !== version) {
      const asset = readFile(file).then((body) => ({
        body,
        gzipped: null,
        etag: `"${createHash('sha1').update(body).digest('base64url')}"`,
      }));
      entry = { version, asset };
      cache.set(path, entry);
      // A failed read is not remembered: the next request tries again.
      asset.catch(() => cache.get(path) === entry && cache.delete(path));
    }
    return entry.asset;
  };

  const serve = (path: string, file: string) => async (request: FastifyRequest, reply: FastifyReply) => {
    const asset = await load(path, file);
    const type = TYPES[extname(file)] ?? 'application/octet-stream';
    // No content hashes in the names, so the browser revalidates every time: a 304 is cheap
    // and an upgraded service never runs next to a stale script.
    reply
      .header('cache-control', 'no-cache')
      .header('etag', asset.etag)
      .header('vary', 'accept-encoding')
      .header('x-content-type-options', 'nosniff')
      .type(type);
    if (type.startsWith('text/html')) {
      reply.header('content-security-policy', CSP).header('referrer-policy', 'no-referrer');
    }
    if (request.headers['if-none-match'] === asset.etag) return reply.status(304).send();
    const acceptsGzip = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
    if (acceptsGzip && asset.body.length > 1024) {
      asset.gzipped ??= compress(asset.body);
      return reply.header('content-encoding', 'gzip').send(await asset.gzipped);
    }
    return reply.send(asset.body);
  };

  for (const [path, file] of files) {
    app.get(path, { schema: { hide: true } }, serve(path, file));
  }
};

export default uiRoutes;
