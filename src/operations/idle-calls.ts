/**
 * Stuck calls (SPEC §10): a call with no API event for IDLE_CALL_SECONDS ends as `abandoned`,
 * recorded as `call.idle` from source `timer`. One durable job per call, on the job mechanism:
 * armed once when the call is created (with the create's commit), so an event writes nothing
 * more. When it comes due, the call's last API activity is read from its history (timer firings
 * such as the hold check do not count); a call still idle ends through the event path, any
 * other has its job moved to the time it would be idle. The change that ends a call deletes
 * the job with it.
 */
import { INTERNAL_EVENTS } from '../../machines/call.events.js';
import type { CallService } from '../calls/service.js';
import type { JobWorker } from '../jobs/worker.js';
import type { CallRecord, CallStore, JobRow } from '../store/types.js';

export const IDLE_TASK = INTERNAL_EVENTS.idle;
/** The job's key within its call. */
export const IDLE_JOB_KEY = 'idle';

const LAST_ACTIVITY_SQL = "SELECT MAX(at) AS at FROM history WHERE call_id = ? AND source <> 'timer'";

export function idleJob(callId: string, dueAt: number): JobRow {
  return { callId, timerId: IDLE_JOB_KEY, name: IDLE_TASK, dueAt, event: { type: IDLE_TASK } };
}

/** When the call last heard from a client (API, adapter, transcript): its creation at the latest. */
export async function lastActivity(store: CallStore, record: CallRecord): Promise<number> {
  const [row] = await store.query(LAST_ACTIVITY_SQL, [record.callId]);
  const at = row?.at == null ? 0 : Number(row.at);
  return Math.max(record.createdAt, at);
}

export function startIdleCalls(deps: {
  calls: CallService;
  store: CallStore;
  jobs: JobWorker;
  idleMs: number;
  now?: () => number;
}): void {
  const { calls, store, jobs, idleMs } = deps;
  const now = deps.now ?? Date.now;

  calls.contribute(({ change }) => {
    if (change.kind === 'create') {
      change.ensureJobs = [...(change.ensureJobs ?? []), idleJob(change.call.callId, change.call.createdAt + idleMs)];
    } else if (change.call.status === 'ended' && !change.cancelTimers.includes(IDLE_JOB_KEY)) {
      // Only the change that ends the call: an ended call takes no more.
      change.cancelTimers.push(IDLE_JOB_KEY);
    }
  });

  jobs.handle(IDLE_TASK, async (job) => {
    let idleAt: number | null = null;
    await calls.applyJobEvent(job.callId, { type: IDLE_TASK }, IDLE_TASK, async (record) => {
      const at = (await lastActivity(store, record)) + idleMs;
      if (at <= now()) return true;
      idleAt = at;
      return false;
    });
    if (idleAt === null) {
      // Ended (by this job or otherwise) or gone: the ending change usually deleted it already.
      await store.finishJob(job);
      return;
    }
    if (await store.retryJob(job, idleAt)) jobs.scheduled(idleAt);
  });
}
