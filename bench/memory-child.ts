/**
 * Memory per active call, in one process started with --expose-gc: the whole app (buildApp on a
 * SQLite file store), `calls` calls created through the service, heap and RSS compared after a
 * forced GC before and after. Prints one JSON line.
 */
import { join } from 'node:path';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import type { MemoryResult, MemorySpec } from './memory.js';
import { callId, EVENTS } from './requests.js';

const spec = JSON.parse(process.argv[2] ?? '{}') as MemorySpec;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

async function settle() {
  for (let i = 0; i < 4; i++) {
    await new Promise((r) => setTimeout(r, 50));
    gc?.();
  }
  return process.memoryUsage();
}

const config = loadConfig({
  DATABASE_URL: `sqlite:${join(spec.dir, `memory-${spec.cacheSize}-${process.pid}.db`)}`,
  LOG_LEVEL: 'silent',
  CALL_CACHE_SIZE: String(spec.cacheSize),
});
const app = await buildApp(config);
await app.ready();

/** Runs `task` for 0..count-1, a thousand at a time. */
async function inChunks(count: number, task: (i: number) => Promise<unknown>) {
  for (let start = 0; start < count; start += 1000) {
    const batch = [];
    for (let i = start; i < Math.min(count, start + 1000); i++) batch.push(task(i));
    await Promise.all(batch);
  }
}

const create = (prefix: string, count: number) =>
  inChunks(count, (i) => app.calls.create({ callId: callId(prefix, i) }));

// Warm-up: JIT, statement caches, pools; it counts as the baseline.
await create('warm', spec.warmCalls);
const before = await settle();
const started = performance.now();
await create('mem', spec.calls);
const createSeconds = (performance.now() - started) / 1000;
// Calls that have lived a while: each gets `eventsPerCall` events with idempotency keys.
for (let k = 0; k < spec.eventsPerCall; k++) {
  const event = EVENTS[k % EVENTS.length]!;
  const data = 'data' in event ? event.data : {};
  await inChunks(spec.calls, (i) =>
    app.calls.applyEvent(callId('mem', i), { type: event.type, id: `mem-${i}-${k}`, data: { ...data } }),
  );
}
const after = await settle();
const active = await app.store.countCalls('active');
const result: MemoryResult = {
  calls: spec.calls,
  eventsPerCall: spec.eventsPerCall,
  cacheSize: spec.cacheSize,
  cachedCalls: app.calls.cachedCalls,
  activeCalls: active,
  createSeconds,
  heapUsedPerCall: (after.heapUsed - before.heapUsed) / spec.calls,
  rssPerCall: (after.rss - before.rss) / spec.calls,
  externalPerCall: (after.external - before.external) / spec.calls,
  before: { heapUsed: before.heapUsed, rss: before.rss },
  after: { heapUsed: after.heapUsed, rss: after.rss },
};
await app.close();
process.stdout.write(`${JSON.stringify(result)}\n`);
