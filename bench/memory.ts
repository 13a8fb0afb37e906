/** (c) Memory per active call: memory-child.ts in a fresh process with --expose-gc. */
import { runJsonChild, SERVICE_NODE_FLAGS } from './processes.js';

export interface MemorySpec {
  calls: number;
  /** Events applied to every call (with idempotency keys) before measuring; 0: fresh calls. */
  eventsPerCall: number;
  warmCalls: number;
  /** CALL_CACHE_SIZE: how many calls the service keeps decoded (the service default is 20,000). */
  cacheSize: number;
  dir: string;
}

export interface MemoryResult {
  calls: number;
  eventsPerCall: number;
  cacheSize: number;
  cachedCalls: number;
  activeCalls: number;
  createSeconds: number;
  heapUsedPerCall: number;
  rssPerCall: number;
  externalPerCall: number;
  before: { heapUsed: number; rss: number };
  after: { heapUsed: number; rss: number };
}

export function measureMemory(spec: MemorySpec): Promise<MemoryResult> {
  // The service's own flags: a larger young generation is also more resident memory.
  return runJsonChild<MemoryResult>('bench/memory-child.ts', spec, [...SERVICE_NODE_FLAGS, '--expose-gc']);
}
