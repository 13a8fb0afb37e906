/**
 * Builds the application (tests use app.inject). server.ts only listens and shuts down.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyReply, type FastifyServerOptions, LogController } from 'fastify';
import adapters from './adapters/plugin.js';
import core, { type CoreOptions } from './calls/plugin.js';
import type { Config } from './config.js';
import { PROBLEM_BASE, ShuttingDown, TITLES, Unauthorized } from './errors.js';
import adapterRoutes from './http/adapters.js';
import { bodyAjv, queryAjv } from './http/ajv.js';
import { DRAIN_LIMIT, registerJsonBodies } from './http/body-parser.js';
import callRoutes from './http/calls.js';
import { healthRoutes, scriptRoutes } from './http/meta.js';
import { registerProblemHandler } from './http/problem.js';
import streamRoutes from './http/stream.js';
import uiRoutes from './http/ui.js';
import { combineHooks, createInspectorHooks } from './inspect.js';

export interface AppOptions {
  logger?: FastifyServerOptions['logger'];
  hooks?: CoreOptions['hooks'];
}

export async function buildApp(config: Config, options: AppOptions = {}) {
  const app = Fastify({
    logger: options.logger ?? {
      level: config.logLevel,
      // Customer names never reach the log, whatever a future log line includes.
      redact: {
        paths: ['req.headers.authorization', '*.customer', '*.firstName', '*.patronymic', '*.body', '*.data'],
        censor: '[redacted]',
      },
    },
    // Our own one-line-per-request log (onResponse below) replaces Fastify's two lines.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: DRAIN_LIMIT,
    // Idle keep-alive sockets close at once; requests in flight finish (SSE streams are
    // ended by their route's preClose hook).
    forceCloseConnections: 'idle',
    // Requests that arrive while closing get a problem+json 503 from the hook below instead
    // of Fastify's own plain JSON one.
    return503OnClosing: false,
    // The router's default (100) refused valid callIds of 101-128 characters with a plain
    // 414; longer ids now reach the schema and get its 400.
    routerOptions: { maxParamLength: 1024 },
    // Router-level errors (a malformed URL, a parameter over the limit above) as problem+json 400.
    frameworkErrors: (error, request, reply) => {
      void (reply as unknown as FastifyReply)
        .status(400)
        .type('application/problem+json')
        .send({
          type: `${PROBLEM_BASE}invalid-request`,
          title: TITLES[400],
          status: 400,
          detail: error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'A path parameter is too long' : error.message,
          instance: request.url,
        });
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Graceful shutdown: in-flight requests finish and their connections close after the
  // answer (without `Connection: close` a keep-alive socket kept server.close waiting until
  // the client dropped it, past the 10 s force-exit); new requests get a 503 problem.
  let closing = false;
  // Requests in progress per socket. A connection that never sent a request (a browser's
  // preconnect, undici after an aborted fetch) is not "idle" to Node, so server.close() kept
  // waiting for it until the 10 s force-exit (exit code 1); it is closed here instead.
  const inProgress = new Map<Socket, number>();
  app.server.on('connection', (socket: Socket) => {
    inProgress.set(socket, 0);
    socket.once('close', () => inProgress.delete(socket));
  });
  app.server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const socket = request.socket;
    inProgress.set(socket, (inProgress.get(socket) ?? 0) + 1);
    response.once('close', () => {
      if (inProgress.has(socket)) inProgress.set(socket, Math.max(0, (inProgress.get(socket) ?? 1) - 1));
    });
  });
  app.addHook('preClose', async () => {
    closing = true;
    for (const [socket, requests] of inProgress) if (requests === 0) socket.destroy();
  });
  // Callback hooks, not async ones: these run on every request, and an async hook costs a
  // promise per request for nothing.
  app.addHook('onRequest', (_request, _reply, done) => {
    done(closing ? new ShuttingDown() : undefined);
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });

  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'querystring' ? queryAjv : bodyAjv).compile(schema));
  registerJsonBodies(app);
  registerProblemHandler(app);

  // One line per request, without bodies or headers (SPEC §5: no personal data in logs).
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    app.metrics?.httpRequests.inc(request.method, route, reply.statusCode);
    // pino's check: at LOG_LEVEL=warn the line is not even built.
    if ((request.log as { isLevelEnabled?(level: string): boolean }).isLevelEnabled?.('info') ?? true) {
      request.log.info(
        {
          method: request.method,
          url: request.url.replace(/([?&]access_token=)[^&]*/, '$1[redacted]'),
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime * 10) / 10,
        },
        'request',
      );
    }
    done();
  });

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'callflow',
        version: '0.1.0',
        description: "A contact centre's operator script as a durable statechart, one per phone call.",
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  // INSPECT_URL: every call reported to an XState inspector over a WebSocket (src/inspect.ts).
  const inspector = config.inspectUrl
    ? createInspectorHooks({
        url: config.inspectUrl,
        limits: config.limits,
        onError: (error) => app.log.warn({ err: error }, 'XState inspector unreachable'),
      })
    : null;
  if (inspector) app.addHook('onClose', async () => inspector.close());
  await app.register(core, { config, hooks: combineHooks(options.hooks, inspector) });
  await app.register(adapters);

  await app.register(
    async (v1) => {
      if (config.apiTokens.length > 0) {
        const tokens = config.apiTokens.map((t) => Buffer.from(t));
        v1.addHook('onRequest', async (request) => {
          const header = request.headers.authorization ?? '';
          const query = request.query as Record<string, unknown> | undefined;
          // EventSource cannot send headers: the stream also takes ?access_token=.
          const presented = header.startsWith('Bearer ')
            ? header.slice(7)
            : typeof query?.access_token === 'string' && request.routeOptions.url === '/v1/calls/:callId/stream'
              ? query.access_token
              : '';
          const given = Buffer.from(presented);
          if (!tokens.some((t) => t.length === given.length && timingSafeEqual(t, given))) throw new Unauthorized();
        });
      }
      await v1.register(callRoutes);
      await v1.register(streamRoutes);
      await v1.register(scriptRoutes);
      await v1.register(adapterRoutes);
    },
    { prefix: '/v1' },
  );
  await app.register(healthRoutes);
  // The operator console and flow inspector (public/), served here so it works offline.
  await app.register(uiRoutes);

  return app;
}
