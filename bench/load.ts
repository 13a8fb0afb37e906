/** Runs the load generator (load-child.ts) in a child process: the same one for every target. */
import { runJsonChild } from './processes.js';

export interface LoadSpec {
  /** One URL per service node; connections are spread over them. */
  urls: string[];
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
  /** Open-ish loop: a fixed request rate over all connections (latency at equal offered load). */
  overallRate?: number;
  callPrefix: string;
  calls: number;
  /** Makes every idempotency key of this run unique. */
  tag: string;
}

export interface LoadResult {
  connections: number;
  durationSeconds: number;
  requests: number;
  rps: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  /** Requests the generator built (a few more than were sent). */
  built: number;
}

let runs = 0;

export function runLoad(spec: Omit<LoadSpec, 'tag'> & { tag?: string }): Promise<LoadResult> {
  const tag = spec.tag ?? `${process.pid.toString(36)}${Date.now().toString(36)}r${runs++}`;
  return runJsonChild<LoadResult>('bench/load-child.ts', { ...spec, tag });
}
