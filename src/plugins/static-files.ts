/**
 * The operator console's files: public/ under /ui/, the page itself at /, and elkjs's browser
 * bundle from node_modules, so the page works with no internet. Served by @fastify/static
 * (ETag, conditional GET), compressed by @fastify/compress, and every response of this plugin
 * carries the page's security headers from @fastify/helmet: one place for all of them.
 *
 * Encapsulated on purpose (no fastify-plugin): the headers, the compression hook and the
 * `reply.sendFile` decorator stay with these routes; the API and /docs keep their own.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import compress from '@fastify/compress';
import helmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';
import { projectPath } from '../paths.js';

export const PUBLIC_DIR = `${projectPath('public')}/`;
const require = createRequire(import.meta.url);
const ELK_DIR = dirname(require.resolve('elkjs/lib/elk.bundled.js'));
/** Chart.js's UMD bundle (the report page's charts), beside its main file in dist/ (not in its exports map). */
const CHART_DIR = dirname(require.resolve('chart.js'));

/**
 * What a browser may fetch from public/: modules, styles and the icon, in lower-case folders.
 * Not the page under /ui/ (it lives at /), nor the type-checking files (tsconfig.json,
 * types.d.ts) that sit beside the modules.
 */
const SERVED = /^\/(?:[a-z0-9-]+\/)*[a-z0-9-]+\.(?:js|css|svg)$/;

/**
 * Everything the page needs comes from this origin; the API and the event stream too. No inline
 * script or style, so an injected string in a phrase or a call id can never run. No
 * upgrade-insecure-requests: consoles on the office network open the service over plain HTTP.
 */
export const CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

const staticFiles: FastifyPluginAsync = async (app) => {
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
    referrerPolicy: { policy: 'no-referrer' },
    frameguard: { action: 'deny' },
    // TLS ends at the proxy in front of the service; pinning HTTPS is its decision, not ours.
    strictTransportSecurity: false,
  });
  // Before @fastify/static, as its README asks: the hook must see the file streams.
  await app.register(compress, { threshold: 1024, encodings: ['br', 'gzip', 'deflate'] });
  await app.register(fastifyStatic, {
    root: PUBLIC_DIR,
    prefix: '/ui/',
    index: false,
    wildcard: true,
    // The wildcard only; the two routes below send the one file they name.
    allowedPath: (path, _root, request) => request.routeOptions.url !== '/ui/*' || SERVED.test(path),
    // No content hashes in the names, so the browser revalidates every time: a 304 is cheap
    // and an upgraded service never runs next to a stale script.
    cacheControl: false,
    setHeaders: (reply, path) => {
      reply.header('cache-control', 'no-cache');
      // send's mime table still says application/javascript; RFC 9239 made text/javascript the one.
      if (path.endsWith('.js')) reply.header('content-type', 'text/javascript; charset=utf-8');
    },
    schemaHide: true,
  });

  app.get('/', { schema: { hide: true } }, (_request, reply) => reply.sendFile('index.html'));
  app.get('/ui/vendor/elk.bundled.js', { schema: { hide: true } }, (_request, reply) =>
    reply.sendFile('elk.bundled.js', ELK_DIR),
  );
  app.get('/ui/vendor/chart.umd.js', { schema: { hide: true } }, (_request, reply) =>
    reply.sendFile('chart.umd.js', CHART_DIR),
  );
};

export default staticFiles;
