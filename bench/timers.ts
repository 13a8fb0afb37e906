/**
 * (d) Hold-check lateness: `calls` calls put on hold, evenly spread over `spreadSeconds`.
 * Lateness = the first check's history `at` (type hold.check, source timer) minus the
 * `timers[].dueAt` that the hold's answer showed.
 *
 * - `mixed`: HOLD_CHECK_SECONDS is short (2 s), so checks come due while holds are still
 *   arriving; each call is taken off hold half a period after its check was due (so one check
 *   fires per call unless the server falls behind). Holds + checks + unholds: 3 events per call.
 * - `alone`: the check period is longer than the spread, so every hold is in before the first
 *   check comes due: the timer worker's own lateness, with no HTTP traffic beside it.
 */
import { call, createCalls, metrics, pool } from './http.js';
import { startCallflow } from './processes.js';
import { callId } from './requests.js';
import { type Percentiles, percentiles } from './stats.js';

export type TimerMode = 'mixed' | 'alone';

export interface TimerSpec {
  mode: TimerMode;
  calls: number;
  spreadSeconds: number;
  /** The check period in `mixed` mode; `alone` uses spreadSeconds + 2. */
  holdCheckSeconds: number;
  dir: string;
  env: Record<string, string>;
}

export interface TimerResult {
  mode: TimerMode;
  calls: number;
  spreadSeconds: number;
  holdCheckSeconds: number;
  /** Holds answered per second: `calls` over the time until the last hold was answered. */
  holdRate: number;
  /** Calls whose first check fired; of them, calls with more than one check; calls with none. */
  fired: number;
  repeated: number;
  missed: number;
  latenessMs: Percentiles;
  /** Latency of the call.hold requests (client-side, includes waiting for a free socket). */
  holdRequestMs: Percentiles;
  failedRequests: number;
  /** callflow_timer_lateness_seconds from /metrics (every firing): count, mean, the bucket holding p99. */
  metrics: { count: number; meanMs: number; p99BucketMs: number | null };
}

interface View {
  timers: { name: string; dueAt: string }[];
}
interface History {
  events: { type: string; source: string; at: string }[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

export async function measureTimers(spec: TimerSpec): Promise<TimerResult> {
  const holdCheckSeconds = spec.mode === 'alone' ? spec.spreadSeconds + 2 : spec.holdCheckSeconds;
  const server = await startCallflow(`timers-${spec.mode}`, spec.dir, {
    ...spec.env,
    HOLD_CHECK_SECONDS: String(holdCheckSeconds),
  });
  try {
    const ids = Array.from({ length: spec.calls }, (_, i) => callId('hold', i));
    await createCalls([server.url], ids);

    const dueAt = new Array<number>(spec.calls).fill(Number.NaN);
    const holdMs: number[] = [];
    let failedRequests = 0;
    let lastHoldAnswer = 0;
    const inFlight = new Set<Promise<void>>();
    const periodMs = holdCheckSeconds * 1000;
    const stepMs = (spec.spreadSeconds * 1000) / spec.calls;
    const start = performance.now();

    const hold = async (i: number) => {
      const sent = performance.now();
      const res = await call<View>(server.url, 'POST', `/v1/calls/${ids[i]}/events`, { type: 'call.hold', id: 'h' });
      lastHoldAnswer = performance.now();
      holdMs.push(lastHoldAnswer - sent);
      const timer = res.status === 200 ? res.body.timers.find((t) => t.name === 'hold.check') : undefined;
      if (!timer) {
        failedRequests++;
        return;
      }
      dueAt[i] = Date.parse(timer.dueAt);
      if (spec.mode === 'alone') return;
      // Off hold half a period after the check was due (server clock = this machine's clock).
      await sleep(dueAt[i]! + periodMs / 2 - Date.now());
      const off = await call(server.url, 'POST', `/v1/calls/${ids[i]}/events`, { type: 'call.unhold', id: 'u' });
      if (off.status !== 200) failedRequests++;
    };

    // Paced sender: call i's hold goes out at start + i * step, whatever the answers do.
    for (let i = 0; i < spec.calls; ) {
      const wait = start + i * stepMs - performance.now();
      if (wait > 1) {
        await sleep(Math.min(wait, 5));
        continue;
      }
      const p = hold(i).catch(() => {
        failedRequests++;
      });
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
      i++;
    }
    await Promise.all(inFlight);
    const holdRate = spec.calls / ((lastHoldAnswer - start) / 1000);
    if (spec.mode === 'alone') {
      // Every first check is due by the latest dueAt; give the last ones a moment.
      const latest = Math.max(...dueAt.filter((d) => Number.isFinite(d)));
      await sleep(latest + 1000 - Date.now());
    }

    const lateness: number[] = [];
    let fired = 0;
    let missed = 0;
    let repeated = 0;
    await pool(ids, 32, async (id, i) => {
      if (Number.isNaN(dueAt[i])) return;
      const res = await call<History>(server.url, 'GET', `/v1/calls/${id}/history`);
      const checks = res.body.events.filter((e) => e.type === 'hold.check' && e.source === 'timer');
      if (checks.length === 0) missed++;
      else {
        fired++;
        if (checks.length > 1) repeated++;
        lateness.push(Date.parse(checks[0]!.at) - dueAt[i]!);
      }
    });

    const m = await metrics(server.url);
    const count = m.get('callflow_timer_lateness_seconds_count') ?? 0;
    const sum = m.get('callflow_timer_lateness_seconds_sum') ?? 0;
    let p99BucketMs: number | null = null;
    for (const [key, value] of m) {
      const bucket = /^callflow_timer_lateness_seconds_bucket\{le="([^"]+)"\}$/.exec(key);
      if (bucket && p99BucketMs === null && count > 0 && value >= count * 0.99) {
        p99BucketMs = bucket[1] === '+Inf' ? Number.POSITIVE_INFINITY : Number(bucket[1]) * 1000;
      }
    }
    return {
      mode: spec.mode,
      calls: spec.calls,
      spreadSeconds: spec.spreadSeconds,
      holdCheckSeconds,
      holdRate,
      fired,
      repeated,
      missed,
      latenessMs: percentiles(lateness),
      holdRequestMs: percentiles(holdMs),
      failedRequests,
      metrics: { count, meanMs: count ? (sum / count) * 1000 : 0, p99BucketMs },
    };
  } finally {
    const code = await server.stop();
    if (code !== 0) process.stderr.write(`timers server exited with ${code}:\n${server.errors()}\n`);
  }
}
