/**
 * Webhooks (SPEC §7): what the outbox and delivery cost the event path. The same event load
 * against the service on SQLite with no endpoint, with one subscribed endpoint that answers at
 * once, and with one that never answers (a black hole: every attempt waits for the timeout),
 * rounds interleaved so drift hits all three; each figure is a ratio to the no-endpoint run of
 * its round. Then delivery latency, from the change (the message's `timestamp`) to the
 * receiver's answer, at a fixed 1,000 events/s to the answering endpoint.
 *
 * In `npm run bench` as the `webhooks` section (`--only webhooks`).
 */

import { type Measured, measure, type Running, startTarget } from './events.js';
import { call } from './http.js';
import { type Service, startService } from './processes.js';
import { type Percentiles, percentiles, type Spread, spread } from './stats.js';
import { sqliteFile } from './targets.js';

export const WEBHOOK_GOALS = { throughputRatio: 0.9, latencyRate: 1000 };

export type Mode = 'none' | 'answer' | 'blackhole';
const MODES: Mode[] = ['none', 'answer', 'blackhole'];
const LABELS: Record<Mode, string> = {
  none: 'events, SQLite, no webhook endpoint (baseline)',
  answer: 'one endpoint that answers 204 at once',
  blackhole: 'one endpoint that never answers (10 s timeout)',
};

export interface WebhookPlan {
  rounds: number;
  calls: number;
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
  latencySeconds: number;
}

export interface WebhookResult {
  runs: (Measured & { mode: Mode; round: number; delivered: number })[];
  summary: {
    mode: Mode;
    label: string;
    rps: Spread;
    /** Events answered in the measured window, and messages the receiver got in warm-up and window. */
    events: Spread;
    delivered: Spread;
    p99: Spread;
    cpuUs: Spread;
    ratio: Spread | null;
    /** The baseline's CPU per request over this target's: the ratio a CPU-bound server reaches, far less noisy than req/s on a shared machine. */
    cpuRatio: Spread | null;
  }[];
  latency: { rate: number; seconds: number; sent: number; deliveredMs: Percentiles; eventRps: number };
}

async function startReceiver(dir: string, mode: 'answer' | 'blackhole'): Promise<Service> {
  return startService({
    name: `receiver-${mode}`,
    script: 'bench/webhook-receiver.ts',
    dir,
    env: { RECEIVER_MODE: mode },
    readyPath: '/healthz',
  });
}

async function receiverStats(receiver: Service): Promise<{ received: number; latencies: number[] }> {
  return (await call<{ received: number; latencies: number[] }>(receiver.url, 'GET', '/stats')).body;
}

export async function startWebhookTarget(
  mode: Mode,
  dir: string,
  calls: number,
  nodeArgs: string[] = [],
): Promise<{ running: Running; receiver: Service | null; stop(): Promise<void> }> {
  const receiver = mode === 'none' ? null : await startReceiver(dir, mode);
  const target = {
    name: `webhooks-${mode}`,
    label: LABELS[mode],
    nodes: 1,
    env: { LOG_LEVEL: 'warn', WEBHOOK_ALLOW_PRIVATE: 'true' },
    database: sqliteFile,
  };
  const running = await startTarget(target, dir, calls, nodeArgs);
  if (receiver) {
    const res = await call(running.urls[0]!, 'POST', '/v1/webhooks', { url: `${receiver.url}/hook` });
    if (res.status !== 201) throw new Error(`subscribe: ${res.status} ${res.text}`);
  }
  return {
    running,
    receiver,
    async stop() {
      await running.stop();
      await receiver?.stop();
    },
  };
}

export async function measureWebhooks(
  dir: string,
  plan: WebhookPlan,
  log: (message: string) => void,
): Promise<WebhookResult> {
  const runs: WebhookResult['runs'] = [];
  for (let round = 1; round <= plan.rounds; round++) {
    for (const mode of MODES) {
      const target = await startWebhookTarget(mode, dir, plan.calls);
      try {
        const result = await measure(target.running, {
          connections: plan.connections,
          warmupSeconds: plan.warmupSeconds,
          durationSeconds: plan.durationSeconds,
          calls: plan.calls,
        });
        const delivered = target.receiver ? (await receiverStats(target.receiver)).received : 0;
        runs.push({ ...result, mode, round, delivered });
        log(`webhooks round ${round} ${mode}: ${Math.round(result.rps)} req/s, p99 ${result.latencyMs.p99} ms`);
      } finally {
        await target.stop();
      }
    }
  }
  const summary = MODES.map((mode) => {
    const mine = runs.filter((r) => r.mode === mode);
    const base = (round: number) => runs.find((r) => r.mode === 'none' && r.round === round);
    return {
      mode,
      label: LABELS[mode],
      rps: spread(mine.map((r) => r.rps)),
      events: spread(mine.map((r) => r.requests)),
      delivered: spread(mine.map((r) => r.delivered)),
      p99: spread(mine.map((r) => r.latencyMs.p99)),
      cpuUs: spread(mine.map((r) => r.cpuUsPerRequest ?? Number.NaN)),
      ratio: mode === 'none' ? null : spread(mine.map((r) => r.rps / (base(r.round)?.rps ?? Number.NaN))),
      cpuRatio:
        mode === 'none'
          ? null
          : spread(mine.map((r) => (base(r.round)?.cpuUsPerRequest ?? Number.NaN) / (r.cpuUsPerRequest ?? Number.NaN))),
    };
  });

  // Delivery latency at a fixed offered rate to the answering endpoint.
  const target = await startWebhookTarget('answer', dir, plan.calls);
  try {
    await receiverStats(target.receiver as Service); // reset
    const rate = WEBHOOK_GOALS.latencyRate;
    const load = await measure(target.running, {
      connections: 50,
      warmupSeconds: 0,
      durationSeconds: plan.latencySeconds,
      calls: plan.calls,
      overallRate: rate,
    });
    // The last messages are still on their way when the load ends.
    await new Promise((r) => setTimeout(r, 2_000));
    const stats = await receiverStats(target.receiver as Service);
    log(`webhooks latency: ${stats.latencies.length} deliveries at ${rate} events/s`);
    return {
      runs,
      summary,
      latency: {
        rate,
        seconds: plan.latencySeconds,
        sent: load.requests,
        deliveredMs: percentiles(stats.latencies),
        eventRps: load.rps,
      },
    };
  } finally {
    await target.stop();
  }
}
