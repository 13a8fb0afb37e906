/**
 * The load generator, run in its own process by load.ts: autocannon, programmatically, with
 * the event requests of requests.ts. Warm-up first (discarded), then the measured run; prints
 * one JSON line with the figures.
 */
import autocannon, { type Result } from 'autocannon';
import type { LoadResult, LoadSpec } from './load.js';
import { eventStream } from './requests.js';

const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;
const stream = eventStream({ prefix: spec.callPrefix, calls: spec.calls, tag: spec.tag });

function run(duration: number): Promise<Result> {
  const first = stream.next();
  return autocannon({
    url: spec.urls.length === 1 ? spec.urls[0]! : spec.urls,
    connections: spec.connections,
    duration,
    timeout: 30,
    ...(spec.overallRate ? { overallRate: spec.overallRate } : {}),
    requests: [
      {
        method: 'POST',
        path: first.path,
        headers: { 'content-type': 'application/json' },
        body: first.body,
        setupRequest: (request) => {
          const { path, body } = stream.next();
          return { ...request, path, body };
        },
      },
    ],
  });
}

if (spec.warmupSeconds > 0) await run(spec.warmupSeconds);
const before = stream.sent;
const result = await run(spec.durationSeconds);
// requests.total counts answers; latency.totalCount also holds the samples added to correct
// for coordinated omission when a rate is set.
const completed = result.requests.total;
const output: LoadResult = {
  connections: spec.connections,
  durationSeconds: result.duration,
  requests: completed,
  rps: completed / result.duration,
  latencyMs: {
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
    mean: result.latency.mean,
  },
  non2xx: result.non2xx,
  errors: result.errors,
  timeouts: result.timeouts,
  statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count])),
  built: stream.sent - before,
};
process.stdout.write(`${JSON.stringify(output)}\n`);
