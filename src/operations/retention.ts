/**
 * Retention (SPEC §10): an ended call's personal data is erased RETENTION_DAYS after it ended.
 * One job of no call (key `retention`), so one node at a time runs it (the job's lease). Each
 * run erases a small batch of due calls, each in its own transaction (event commits interleave
 * with them), and comes back at once while more are due, or
 * when the next ended call falls due. The WAL is truncated once the backlog is done (every 10 s
 * during a long one).
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JobWorker } from '../jobs/worker.js';
import type { CallStore, JobRow } from '../store/types.js';
import { type ErasureDeps, erasePersonalData } from './erasure.js';

export const RETENTION_TASK = 'personal-data.retention';
const RETENTION_JOB: Omit<JobRow, 'dueAt'> = {
  callId: '',
  timerId: 'retention',
  name: RETENTION_TASK,
  event: { type: RETENTION_TASK },
};

/** Ended calls not erased since they ended, oldest end first (calls_ended_by_time). */
const DUE_SQL = `SELECT c.call_id, c.updated_at FROM calls c
  WHERE c.status = 'ended' AND c.updated_at <= ?
    AND NOT EXISTS (SELECT 1 FROM erasures e WHERE e.call_id = c.call_id AND e.at >= c.updated_at)
  ORDER BY c.updated_at LIMIT ?`;
const NEXT_SQL = `SELECT MIN(c.updated_at) AS at FROM calls c
  WHERE c.status = 'ended' AND c.updated_at > ?
    AND NOT EXISTS (SELECT 1 FROM erasures e WHERE e.call_id = c.call_id AND e.at >= c.updated_at)`;

const SCRUB_EVERY_MS = 10_000;

export interface RetentionOptions {
  retentionMs: number;
  /** Calls per run: small, so a run never holds the job (or the writer) long. */
  batchSize?: number;
  /** A run stops after this long and comes back at once (well inside the job's lease). */
  maxRunMs?: number;
  now?: () => number;
  onErased?: (count: number) => void;
}

export function startRetention(deps: ErasureDeps & { jobs: JobWorker }, options: RetentionOptions) {
  const { store, jobs } = deps;
  const now = options.now ?? Date.now;
  const batchSize = options.batchSize ?? 50;
  const maxRunMs = options.maxRunMs ?? 2_000;
  let unscrubbed = false;
  let lastScrub = now();

  jobs.handle(RETENTION_TASK, async (job) => {
    const started = now();
    const cutoff = started - options.retentionMs;
    const due = await store.query(DUE_SQL, [cutoff, batchSize]);
    let erased = 0;
    for (const row of due) {
      if (now() - started > maxRunMs) break;
      try {
        const began = performance.now();
        await erasePersonalData(deps, String(row.call_id), 'retention', null, { scrub: false });
        erased++;
        // Half the time at most: an erasure's reads and JSON work run on the event loop, and a
        // backlog erased flat out raised the event route's p99 2-2.6 times (bench/operations.ts).
        await sleep(performance.now() - began);
      } catch (error) {
        // A call deleted meanwhile is not an error of the run; anything else comes back next run.
        if ((error as { code?: string }).code !== 'CALL_NOT_FOUND') throw error;
      }
    }
    const more = erased === batchSize || (due.length > erased && erased > 0);
    if (erased > 0) {
      unscrubbed = true;
      options.onErased?.(erased);
    }
    // The WAL is truncated when the backlog is done, and at least every SCRUB_EVERY_MS during a
    // long one: each truncation holds the writer for a checkpoint (the event route's p99 felt
    // one per batch).
    if (unscrubbed && (!more || now() - lastScrub >= SCRUB_EVERY_MS)) {
      if ((await store.scrub?.()) !== false) unscrubbed = false;
      lastScrub = now();
    }
    const next = more ? now() : await nextDue(store, cutoff, options.retentionMs, now());
    if (await store.retryJob(job, next)) jobs.scheduled(next);
  });

  return {
    /** Arms the job (at start: a changed RETENTION_DAYS takes effect at once). */
    async schedule(): Promise<void> {
      const dueAt = now();
      await store.scheduleJob({ ...RETENTION_JOB, dueAt }, 'replace');
      jobs.scheduled(dueAt);
    },
  };
}

/** When the next ended call falls due; with none, a call ending now. */
async function nextDue(store: CallStore, cutoff: number, retentionMs: number, now: number): Promise<number> {
  const [row] = await store.query(NEXT_SQL, [cutoff]);
  const endedAt = row?.at == null ? now : Number(row.at);
  return Math.max(now, endedAt + retentionMs);
}
