/**
 * Webhooks (SPEC §7) as a plugin on the core: the endpoint registry, the outbox's part of every
 * call change, the delivery job's handler, the delivery log and the metrics, exposed as
 * `app.webhooks`. Routes are in src/http/webhooks.ts.
 */
import fp from 'fastify-plugin';
import { Deliveries } from './delivery.js';
import { DeliveryLog } from './delivery-log.js';
import { EndpointRegistry } from './endpoints.js';
import { webhookMetrics } from './metrics.js';
import {
  contributeCallMessages,
  DELIVERY_TASK,
  type Enqueued,
  jobsFor,
  outboxRows,
  outboxStatements,
} from './outbox.js';
import type { WebhookType } from './schemas.js';
import { Sender } from './sender.js';

/** Attempts at once to all endpoints (to one: WEBHOOK_CONCURRENCY). */
const TOTAL = 1024;
/** On shutdown, attempts in flight get this long to finish before they are cut off. */
const STOP_GRACE_MS = 2_000;

export interface Webhooks {
  endpoints: EndpointRegistry;
  log: DeliveryLog;
  deliveries: Deliveries;
  /**
   * Messages of another capability (escalations) for the endpoints subscribed to `type`: see the
   * top of outbox.ts for where `statements` and `jobs` go.
   */
  enqueue(message: { type: WebhookType; callId: string; data: unknown; at?: number }): Enqueued;
  /** After a transaction of your own with enqueue's statements committed: wakes the delivery. */
  enqueued(jobs: Enqueued['jobs']): Promise<void>;
}

declare module 'fastify' {
  interface FastifyInstance {
    webhooks: Webhooks;
  }
}

export default fp(
  async (app) => {
    const { store, config, jobs } = app;
    const settings = config.webhooks;
    const endpoints = new EndpointRegistry(store, settings.allowPrivate);
    await endpoints.start();
    const log = new DeliveryLog(store, (dueAt) => jobs.scheduled(dueAt));
    const metrics = webhookMetrics(app.metrics, log);
    const sender = new Sender({
      timeoutMs: settings.timeoutMs,
      allowPrivate: settings.allowPrivate,
      connectionsPerOrigin: settings.concurrencyPerEndpoint,
    });
    const deliveries = new Deliveries({
      store,
      endpoints,
      sender,
      retryScheduleMs: settings.retryScheduleMs,
      timeoutMs: settings.timeoutMs,
      claimLeaseMs: jobs.leaseMs,
      scheduled: (dueAt) => jobs.scheduled(dueAt),
      perEndpoint: settings.concurrencyPerEndpoint,
      total: TOTAL,
      hooks: { attempted: (result, outcome) => metrics.attempted(result, outcome) },
      onError: (error) => app.log.error({ err: error }, 'webhook delivery failed'),
    });

    app.calls.contribute(contributeCallMessages(store.kind, endpoints));
    jobs.handle(DELIVERY_TASK, async (job) => deliveries.handle(job));

    const webhooks: Webhooks = {
      endpoints,
      log,
      deliveries,
      enqueue({ type, callId, data, at = Date.now() }) {
        const rows = outboxRows(endpoints, callId, [{ type, at, data }]);
        return { statements: outboxStatements(store.kind, rows, true), jobs: jobsFor(rows) };
      },
      async enqueued(list) {
        // The transaction scheduled them; this only tells the workers (every node's on PostgreSQL).
        for (const job of list) {
          await store.scheduleJob(job, 'keep');
          jobs.scheduled(job.dueAt);
        }
      },
    };
    app.decorate('webhooks', webhooks);

    app.addHook('onReady', async () => {
      await deliveries.reconcile();
    });
    // Before the core's own onClose (it closes the store): attempts end and leases are released first.
    app.addHook('preClose', async () => {
      await deliveries.stop(STOP_GRACE_MS);
      await sender.close();
    });
  },
  { name: 'callflow-webhooks', dependencies: ['callflow-core'] },
);
