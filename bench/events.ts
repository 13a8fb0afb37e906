/**
 * A running target (its nodes, its calls) and one measured load run against it: throughput and
 * latency from the load generator, CPU per request from /proc, commit batch sizes from /metrics.
 */
import { readFileSync } from 'node:fs';
import { createCalls, metrics } from './http.js';
import { type LoadResult, runLoad } from './load.js';
import { type Service, startCallflow, startEcho, startService } from './processes.js';
import { callId } from './requests.js';
import type { Database, EventTarget } from './targets.js';

export const CALL_PREFIX = 'bench';

export interface Running {
  name: string;
  label: string;
  urls: string[];
  nodes: Service[];
  /** True for the callflow service (it has /metrics and calls), false for the echo baseline. */
  service: boolean;
  createSeconds: number;
  stop(): Promise<void>;
}

export interface Measured extends LoadResult {
  target: string;
  /** Server CPU (user + system, all nodes) per answered request, microseconds. */
  cpuUsPerRequest: number | null;
  /** Mean changes per store transaction during the run (group commit), service only. */
  meanCommitBatch: number | null;
  /** The measured run on CLOCK_MONOTONIC, microseconds (the clock of V8's CPU profiles). */
  windowUs: [number, number];
}

const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

export async function startTarget(
  target: EventTarget,
  dir: string,
  calls: number,
  nodeArgs: string[] = [],
): Promise<Running> {
  const database: Database = await target.database(dir);
  const nodes: Service[] = [];
  try {
    for (let i = 0; i < target.nodes; i++) {
      const name = `${target.name}-${i}`;
      const args = [...(target.nodeArgs ?? []), ...nodeArgs];
      nodes.push(
        target.script
          ? await startService({
              name,
              script: target.script,
              dir,
              env: target.env,
              readyPath: '/healthz',
              nodeArgs: args,
            })
          : await startCallflow(name, dir, { ...target.env, DATABASE_URL: database.url }, args),
      );
    }
    const urls = nodes.map((n) => n.url);
    const ids = Array.from({ length: calls }, (_, i) => callId(CALL_PREFIX, i));
    const createSeconds = await createCalls(urls, ids);
    return {
      name: target.name,
      label: target.label,
      urls,
      nodes,
      service: !target.script,
      createSeconds,
      async stop() {
        for (const node of nodes) {
          const code = await node.stop();
          if (code !== 0) process.stderr.write(`${node.name} exited with ${code}:\n${node.errors()}\n`);
        }
        await database.cleanup();
      },
    };
  } catch (error) {
    for (const node of nodes) await node.stop();
    await database.cleanup();
    throw error;
  }
}

export async function startEchoTarget(dir: string, nodeArgs: string[] = []): Promise<Running> {
  const echo = await startEcho(dir, nodeArgs);
  return {
    name: 'echo',
    label: 'bare Fastify echo (ceiling)',
    urls: [echo.url],
    nodes: [echo],
    service: false,
    createSeconds: 0,
    async stop() {
      await echo.stop();
    },
  };
}

const TICK = 100; // getconf CLK_TCK on Linux

function cpuSeconds(pid: number): number | null {
  try {
    // Fields after the command name (which may contain spaces): utime is the 14th field overall.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICK;
  } catch {
    return null;
  }
}

function totalCpu(nodes: Service[]): number | null {
  let sum = 0;
  for (const node of nodes) {
    const s = cpuSeconds(node.pid);
    if (s === null) return null;
    sum += s;
  }
  return sum;
}

async function commitTotals(running: Running): Promise<{ sum: number; count: number } | null> {
  if (!running.service) return null;
  let sum = 0;
  let count = 0;
  for (const url of running.urls) {
    const m = await metrics(url);
    sum += m.get('callflow_commit_batch_size_sum') ?? 0;
    count += m.get('callflow_commit_batch_size_count') ?? 0;
  }
  return { sum, count };
}

export interface RunSpec {
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
  calls: number;
  overallRate?: number;
}

/** Warm-up (its own generator process), then the measured run. */
export async function measure(running: Running, spec: RunSpec): Promise<Measured> {
  const load = {
    urls: running.urls,
    connections: spec.connections,
    warmupSeconds: 0,
    callPrefix: CALL_PREFIX,
    calls: spec.calls,
    ...(spec.overallRate ? { overallRate: spec.overallRate } : {}),
  };
  if (spec.warmupSeconds > 0) await runLoad({ ...load, durationSeconds: spec.warmupSeconds });
  const commitsBefore = await commitTotals(running);
  const cpuBefore = totalCpu(running.nodes);
  const startUs = monotonicUs();
  const result = await runLoad({ ...load, durationSeconds: spec.durationSeconds });
  const endUs = monotonicUs();
  const cpuAfter = totalCpu(running.nodes);
  const commitsAfter = await commitTotals(running);
  for (const node of running.nodes) {
    if (node.errors().includes('Error')) process.stderr.write(`${node.name} stderr:\n${node.errors()}\n`);
  }
  const batches = commitsBefore && commitsAfter ? commitsAfter.count - commitsBefore.count : 0;
  return {
    ...result,
    target: running.name,
    cpuUsPerRequest:
      cpuBefore !== null && cpuAfter !== null && result.requests > 0
        ? ((cpuAfter - cpuBefore) / result.requests) * 1e6
        : null,
    meanCommitBatch:
      commitsBefore && commitsAfter && batches > 0 ? (commitsAfter.sum - commitsBefore.sum) / batches : null,
    windowUs: [startUs, endUs],
  };
}
