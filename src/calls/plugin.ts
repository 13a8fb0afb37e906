/**
 * The core as a Fastify plugin: opens the store (waiting for PostgreSQL at start), watches its
 * health, builds the call service and the timer worker, wires store notifications (other
 * processes) into both, and closes them in order.
 */
import fp from 'fastify-plugin';
import { createCallRuntime } from '../../machines/call.runtime.js';
import type { Config } from '../config.js';
import { untilReachable } from '../store/connect.js';
import { guardStore, isStoreFault } from '../store/guarded.js';
import { StoreHealth } from '../store/health.js';
import { openStore } from '../store/index.js';
import type { CallStore } from '../store/types.js';
import { TimerWorker } from '../timers/worker.js';
import { CallService, type ServiceHooks } from './service.js';
import type { CallView } from './view.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    store: CallStore;
    /** Whether the store serves now (readiness, background work, the fault's log lines). */
    storeHealth: StoreHealth;
    calls: CallService;
    timers: TimerWorker;
  }
}

export interface CoreOptions {
  config: Config;
  /** Extra observers of applied events (the XState inspector bridge uses this). */
  hooks?: ServiceHooks;
}

export default fp<CoreOptions>(
  async (app, { config, hooks = {} }) => {
    const { metrics } = app;
    const deadline = Date.now() + config.storeConnectTimeoutSeconds * 1000;
    const inner = await openStore(config, {
      log: app.log,
      deadline,
      timeoutSeconds: config.storeConnectTimeoutSeconds,
    });
    const health = new StoreHealth({
      probe: () => inner.ping(),
      log: app.log,
      onFault: (kind) => metrics.storeErrors.inc({ kind }),
    });
    // Every store error is classified here once: a fault answers 503/507, never "unexpected".
    const store = guardStore(inner, health);
    const runtime = createCallRuntime(config.limits);
    let timers: TimerWorker | null = null;
    const countPrompts = (view: CallView) => {
      for (const prompt of view.prompts) metrics.promptsSaid.inc({ key: prompt.key });
    };

    const calls = new CallService(store, runtime, {
      cacheSize: config.callCacheSize,
      hooks: {
        ...hooks,
        onCreated(info) {
          metrics.callsCreated.inc();
          countPrompts(info.view);
          hooks.onCreated?.(info);
        },
        onApplied(info) {
          const { view } = info;
          metrics.eventsApplied.inc({ type: info.type, source: info.source });
          if (info.source === 'timer') metrics.timersFired.inc({ timer: info.type });
          countPrompts(view);
          for (const action of view.actions) if (action.type === 'supervisor.escalation') metrics.escalations.inc();
          // Only an applied event ends a call, and an ended call takes no more: counted once.
          if (view.status === 'ended' && view.endReason) metrics.callsEnded.inc({ reason: view.endReason });
          hooks.onApplied?.(info);
        },
        onTimerArmed: (dueAt) => timers?.armed(dueAt),
        onTimerFired: (lateMs) => metrics.timerLateness.observe(Math.max(0, lateMs) / 1000),
        onBatch(size, seconds) {
          metrics.commitBatch.observe(size);
          metrics.commitSeconds.observe(seconds);
        },
      },
    });
    timers = new TimerWorker(store, calls, {
      maxSleepMs: store.shared ? 5_000 : 60_000,
      // Shared store: a claim that dies with its process (kill -9) keeps the timer from the other
      // nodes until the lease ends, so keep it short; firing takes milliseconds, and a lease that
      // runs out early costs only a duplicate attempt that the commit refuses.
      leaseMs: store.shared ? 5_000 : 30_000,
      // Paused while the store is down; its faults are the health's one warning, not a line each.
      whenStoreUp: () => health.whenUp(),
      onError: (error) => {
        if (!isStoreFault(error)) app.log.error({ err: error }, 'timer delivery failed');
      },
    });
    const handlers = {
      change: (callId: string, version: number) => {
        calls.remoteChange(callId, version).catch((error) => {
          if (!isStoreFault(error)) app.log.warn({ err: error }, 'remote change');
        });
      },
      timerArmed: (dueAt: number) => timers?.armed(dueAt),
    };
    try {
      await untilReachable(() => inner.watch(handlers), { target: 'the store', deadline, log: app.log });
    } catch (error) {
      await inner.close().catch(() => {});
      throw error;
    }

    metrics.gauge('callflow_calls_active', 'Calls not yet ended', () => store.countCalls('active'));
    metrics.gauge('callflow_calls_cached', 'Calls held decoded in memory', () => calls.cachedCalls);
    metrics.gauge('callflow_stream_clients', 'Open SSE streams', () => calls.bus.subscriberCount);
    metrics.gauge('callflow_store_up', 'Whether the store serves (1) or is down (0); readiness follows it', () =>
      health.up ? 1 : 0,
    );

    app.decorate('config', config);
    app.decorate('store', store);
    app.decorate('storeHealth', health);
    app.decorate('calls', calls);
    app.decorate('timers', timers);

    app.addHook('onReady', async () => timers?.start());
    app.addHook('onClose', async () => {
      health.close();
      await timers?.stop();
      await calls.drain();
      await store.close();
    });
  },
  { name: 'callflow-core', dependencies: ['callflow-metrics'] },
);
