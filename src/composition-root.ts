/**
 * The composition root: opens the store (waiting for PostgreSQL at start), watches its health,
 * builds the call service and the job worker, wires them (the worker runs the service's timers;
 * the service tells the worker what it scheduled), brings other processes' changes in
 * (PostgreSQL notifications), and closes all in order. Capabilities (webhooks, escalations,
 * adapters, ...) are plugins that depend on this one.
 */
import fp from 'fastify-plugin';
import { createCallRuntime } from '../machines/call.runtime.js';
import { CallService, type ServiceHooks } from './calls/service.js';
import type { CallView } from './calls/view.js';
import type { Config } from './config.js';
import { JobWorker } from './jobs/worker.js';
import { ScriptRegistry } from './scripts/registry.js';
import { untilReachable } from './store/connect.js';
import { guardStore, isStoreFault } from './store/guarded.js';
import { StoreHealth } from './store/health.js';
import { openStore } from './store/index.js';
import type { CallStore } from './store/types.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    store: CallStore;
    storeHealth: StoreHealth;
    calls: CallService;
    jobs: JobWorker;
    scripts: ScriptRegistry;
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
    // Script versions (SPEC §11): a call's phrases and limits come from the version it started with.
    let scripts: ScriptRegistry;
    try {
      // Read (and on a new database written) at start: wait out a store that has just gone away.
      scripts = await untilReachable(() => ScriptRegistry.open(store, { limits: config.limits, runtime }), {
        target: 'the store',
        deadline,
        log: app.log,
      });
    } catch (error) {
      await inner.close().catch(() => {});
      throw error;
    }
    const countPrompts = (view: CallView) => {
      for (const prompt of view.prompts) metrics.promptsSaid.inc({ key: prompt.key });
    };

    const jobs = new JobWorker(store, {
      maxSleepMs: store.shared ? 5_000 : 60_000,
      // Shared store: a claim that dies with its process (kill -9) keeps the job from the other
      // nodes until the lease ends, so keep it short; firing takes milliseconds, and a lease that
      // runs out early costs only a duplicate attempt that the commit refuses.
      leaseMs: store.shared ? 5_000 : 30_000,
      // At most 200 claims a second while jobs keep coming due: a webhook message, a hold check
      // or an idle end waits at most 5 ms more (docs/adr/0010).
      claimGapMs: 5,
      // Paused while the store is down; its faults are the health's one warning, not a line each.
      whenStoreUp: () => health.whenUp(),
      onError: (error) => {
        if (!isStoreFault(error)) app.log.error({ err: error }, 'job failed');
      },
    });
    const calls = new CallService(store, runtime, {
      cacheSize: config.callCacheSize,
      script: scripts,
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

    const handlers = {
      change: (callId: string, version: number) => calls.remoteChange(callId, version),
      timerArmed: (dueAt: number) => jobs.scheduled(dueAt),
      scriptPublished: () => {
        scripts.refresh().catch((error) => app.log.warn({ err: error }, 'could not read the published script version'));
      },
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
    metrics.gauge('callflow_script_version', 'The script version new calls take on this node (SPEC §11)', () =>
      scripts.currentVersion(),
    );
    metrics.gauge('callflow_store_up', 'Whether the store serves (1) or is down (0); readiness follows it', () =>
      health.up ? 1 : 0,
    );

    app.decorate('config', config);
    app.decorate('store', store);
    app.decorate('storeHealth', health);
    app.decorate('calls', calls);
    app.decorate('jobs', jobs);
    app.decorate('scripts', scripts);

    app.addHook('onReady', async () => jobs.start());
    app.addHook('onClose', async () => {
      health.close();
      await jobs.stop();
      await calls.drain();
      await store.close();
    });
  },
  { name: 'callflow-core', dependencies: ['callflow-metrics'] },
);
