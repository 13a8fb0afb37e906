/**
 * Builds the application (tests use app.inject). server.ts only listens and shuts down.
 */
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyReply, type FastifyServerOptions, LogController } from 'fastify';
import adapters from './adapters/plugin.js';
import core, { type CoreOptions } from './composition-root.js';
import type { Config } from './config.js';
import { PROBLEM_BASE, TITLES, TooManyRequests } from './errors.js';
import escalations from './escalations/plugin.js';
import adapterRoutes from './http/adapters.js';
import { bodyAjv, queryAjv } from './http/ajv.js';
import { DRAIN_LIMIT, registerJsonBodies } from './http/body-parser.js';
import callRoutes from './http/calls.js';
import escalationRoutes from './http/escalations.js';
import { healthRoutes, scriptRoutes } from './http/meta.js';
import personalDataRoutes from './http/personal-data.js';
import { registerProblemHandler } from './http/problem.js';
import reportRoutes from './http/reports.js';
import scenarioRoutes from './http/scenarios.js';
import scriptVersionRoutes from './http/script.js';
import simulateRoutes from './http/simulate.js';
import streamRoutes from './http/stream.js';
import utteranceRoutes from './http/utterances.js';
import webhookRoutes from './http/webhooks.js';
import { combineHooks, createInspectorHooks } from './inspect.js';
import operations from './operations/plugin.js';
import auth from './plugins/auth.js';
import metrics from './plugins/metrics.js';
import requestLog from './plugins/request-log.js';
import shutdown from './plugins/shutdown.js';
import staticFiles from './plugins/static-files.js';
import storeProblems from './plugins/store-problems.js';
import webhooks from './webhooks/plugin.js';

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
    // The core plugin may wait up to STORE_CONNECT_TIMEOUT_SECONDS for PostgreSQL at start;
    // Fastify's default (10 s) would cut that short.
    pluginTimeout: Math.ceil(config.storeConnectTimeoutSeconds * 1000) + 30_000,
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

  await app.register(shutdown);

  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'querystring' ? queryAjv : bodyAjv).compile(schema));
  registerJsonBodies(app);
  registerProblemHandler(app);
  await app.register(metrics);

  await app.register(requestLog);

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
  await app.register(webhooks);
  // Escalation changes write their webhook messages (escalation.created, .updated) in their own transactions.
  await app.register(escalations, { outbox: app.webhooks });
  await app.register(operations);

  // Roles (SPEC §6): before any route, so every /v1 route is checked for its declared role.
  await app.register(auth, { tokens: config.apiTokens, prefix: '/v1' });
  await app.register(storeProblems, { prefix: '/v1' });
  await app.register(
    async (v1) => {
      if (config.rateLimitPerMinute !== null) {
        await v1.register(rateLimit, {
          max: config.rateLimitPerMinute,
          timeWindow: 60_000,
          // Per token, or per client address without one (auth ran first, in onRequest).
          hook: 'preHandler',
          keyGenerator: (request) => request.callerKey,
          errorResponseBuilder: (_request, context) => new TooManyRequests(context.max, Math.ceil(context.ttl / 1000)),
        });
      }
      await v1.register(callRoutes);
      await v1.register(streamRoutes);
      await v1.register(utteranceRoutes);
      await v1.register(scriptRoutes);
      await v1.register(scriptVersionRoutes);
      await v1.register(simulateRoutes);
      await v1.register(scenarioRoutes);
      await v1.register(adapterRoutes);
      await v1.register(escalationRoutes);
      await v1.register(reportRoutes);
      await v1.register(webhookRoutes);
      await v1.register(personalDataRoutes);
    },
    { prefix: '/v1' },
  );
  await app.register(healthRoutes);
  // The operator console and flow inspector (public/), served here so it works offline.
  await app.register(staticFiles);

  return app;
}
