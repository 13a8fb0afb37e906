/**
 * The composition root: opens the store, builds the call service and the job worker, wires
 * them (the worker runs the service's timers; the service tells the worker what it scheduled),
 * brings other processes' changes in (PostgreSQL notifications), and closes all in order.
 * Capabilities (webhooks, escalations, adapters, ...) are plugins that depend on this one.
 */
import fp from 'fastify-plugin';
import { createCallRuntime } from '../machines/call.runtime.js';
import { CallService, type ServiceHooks } from './calls/service.js';
import type { Config } from './config.js';
import { JobWorker } from './jobs/worker.js';
import { Metrics } from './metrics.js';
import { openStore } from './store/index.js';
import type { CallStore } from './store/types.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    store: CallStore;
    calls: CallService;
    jobs: JobWorker;
    metrics: Metrics;
  }
}

export interface CoreOptions {
  config: Config;
  /** Extra observers of applied events (the XState inspector bridge uses this). */
  hooks?: ServiceHooks;
}

export default fp<CoreOptions>(
  async (app, { config, hooks = {} }) => {
    const metrics = new Metrics();
    const store = await openStore(config);
    const runtime = createCallRuntime(config.limits);

    const jobs = new JobWorker(store, {
      maxSleepMs: store.shared ? 5_000 : 60_000,
      // Shared store: a claim that dies with its process (kill -9) keeps the job from the other
      // nodes until the lease ends, so keep it short; firing takes milliseconds, and a lease that
      // runs out early costs only a duplicate attempt that the commit refuses.
      leaseMs: store.shared ? 5_000 : 30_000,
      onError: (error) => app.log.error({ err: error }, 'job failed'),
    });
    const calls = new CallService(store, runtime, {
      cacheSize: config.callCacheSize,
      hooks: {
        ...hooks,
        onApplied(info) {
          metrics.eventsApplied.inc(info.type, info.source);
          hooks.onApplied?.(info);
        },
        onJobScheduled: (dueAt) => jobs.scheduled(dueAt),
        onTimerFired: (lateMs) => metrics.timerLateness.observe(Math.max(0, lateMs) / 1000),
        onBatch(size, seconds) {
          metrics.commitBatch.observe(size);
          metrics.commitSeconds.observe(seconds);
        },
      },
    });
    // A machine timer (the hold check) is delivered as an event of its call.
    jobs.handleOthers((job) => calls.fireTimer(job));

    await store.watch({
      change: (callId, version) => calls.remoteChange(callId, version),
      timerArmed: (dueAt) => jobs.scheduled(dueAt),
    });

    metrics.gauge('callflow_calls_active', 'Calls not yet ended', () => store.countCalls('active'));
    metrics.gauge('callflow_calls_cached', 'Calls held decoded in memory', () => calls.cachedCalls);
    metrics.gauge('callflow_stream_clients', 'Open SSE streams', () => calls.bus.subscriberCount);

    app.decorate('config', config);
    app.decorate('metrics', metrics);
    app.decorate('store', store);
    app.decorate('calls', calls);
    app.decorate('jobs', jobs);

    app.addHook('onReady', async () => jobs.start());
    app.addHook('onClose', async () => {
      await jobs.stop();
      await calls.drain();
      await store.close();
    });
  },
  { name: 'callflow-core' },
);
