/** The one durable-job mechanism on its own, against a store double: dispatch, leases, waking. */
import { describe, expect, it } from 'vitest';
import { JobWorker } from '../../src/jobs/worker.js';
import type { CallStore, JobRow } from '../../src/store/types.js';
import { until } from '../support/api.js';

/** Just the part of a store the worker uses: due jobs, claimed once each. */
function jobStore(jobs: JobRow[]) {
  const claimed = new Set<JobRow>();
  const store = {
    async claimDueTimers(now: number, limit: number) {
      const due = jobs.filter((job) => job.dueAt <= now && !claimed.has(job)).slice(0, limit);
      for (const job of due) claimed.add(job);
      return due;
    },
    async nextTimerDue() {
      const pending = jobs.filter((job) => !claimed.has(job)).map((job) => job.dueAt);
      return pending.length ? Math.min(...pending) : null;
    },
  };
  return { store: store as unknown as CallStore, claimed };
}

const job = (timerId: string, name: string, dueAt: number): JobRow => ({
  callId: 'c',
  timerId,
  name,
  dueAt,
  event: { type: name },
});

describe('JobWorker', () => {
  it("runs each due job with its task's handler, others with the fallback, and not-yet-due ones later", async () => {
    const now = Date.now();
    const { store } = jobStore([
      job('a', 'webhook.delivery', now - 10),
      job('b', 'xstate.after.holdCheck.call.hold', now - 5),
      job('c', 'webhook.delivery', now + 150),
    ]);
    const ran: string[] = [];
    const worker = new JobWorker(store, { maxSleepMs: 1_000 });
    worker.handle('webhook.delivery', async (j) => void ran.push(`webhook:${j.timerId}`));
    worker.handleOthers(async (j) => void ran.push(`timer:${j.timerId}`));
    worker.start();
    await until(() => ran.length >= 2);
    expect(ran.sort()).toEqual(['timer:b', 'webhook:a']);
    await until(() => ran.length >= 3, { timeoutMs: 2_000 });
    expect(ran.at(-1)).toBe('webhook:c');
    await worker.stop();
  });

  it('refuses a second handler for one task', () => {
    const worker = new JobWorker(jobStore([]).store);
    worker.handle('t', async () => {});
    expect(() => worker.handle('t', async () => {})).toThrow(/has a handler already/);
  });

  it('a handler that throws is reported and does not stop the others', async () => {
    const now = Date.now();
    const { store } = jobStore([job('x', 'bad', now - 1), job('y', 'good', now - 1)]);
    const errors: unknown[] = [];
    const ran: string[] = [];
    const worker = new JobWorker(store, { onError: (error) => errors.push(error) });
    worker.handle('bad', async () => {
      throw new Error('boom');
    });
    worker.handle('good', async (j) => void ran.push(j.timerId));
    worker.start();
    await until(() => ran.length === 1 && errors.length === 1);
    expect((errors[0] as Error).message).toBe('boom');
    await worker.stop();
  });

  it('wakes early for a job scheduled before its next wake-up', async () => {
    const jobs: JobRow[] = [];
    const { store } = jobStore(jobs);
    const ran: string[] = [];
    const worker = new JobWorker(store, { maxSleepMs: 60_000 });
    worker.handle('t', async (j) => void ran.push(j.timerId));
    worker.start();
    await new Promise((r) => setTimeout(r, 50));
    const dueAt = Date.now() + 30;
    jobs.push(job('late', 't', dueAt));
    worker.scheduled(dueAt);
    await until(() => ran.length === 1, { timeoutMs: 1_000 });
    expect(ran).toEqual(['late']);
    await worker.stop();
  });

  it('leaves at least claimGapMs between claims while jobs keep coming due', async () => {
    const jobs: JobRow[] = [];
    const { store } = jobStore(jobs);
    const claims: number[] = [];
    const claim = store.claimDueTimers.bind(store);
    store.claimDueTimers = async (now, limit, leaseMs) => {
      claims.push(now);
      // Slow enough that the next job is scheduled while this claim runs.
      await new Promise((r) => setTimeout(r, 2));
      return claim(now, limit, leaseMs);
    };
    const ran: string[] = [];
    const worker = new JobWorker(store, { claimGapMs: 40 });
    worker.handle('t', async (j) => void ran.push(j.timerId));
    worker.start();
    for (let i = 0; i < 20; i++) {
      jobs.push(job(`j${i}`, 't', Date.now()));
      worker.scheduled(Date.now());
      await new Promise((r) => setTimeout(r, 5));
    }
    await until(() => ran.length === 20, { timeoutMs: 2_000 });
    const gaps = claims.slice(1).map((at, i) => at - (claims[i] as number));
    // 100 ms of jobs arriving every 5 ms: a claim each without the gap, about 3 with it.
    expect(claims.length).toBeLessThanOrEqual(6);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(39);
    await worker.stop();
  });

  it('waits while the store is down, then runs what came due', async () => {
    const { store } = jobStore([job('d', 't', Date.now() - 1)]);
    let up!: () => void;
    const storeUp = new Promise<void>((resolve) => {
      up = resolve;
    });
    const ran: string[] = [];
    const worker = new JobWorker(store, { whenStoreUp: () => storeUp });
    worker.handle('t', async (j) => void ran.push(j.timerId));
    worker.start();
    await new Promise((r) => setTimeout(r, 80));
    expect(ran).toEqual([]);
    up();
    await until(() => ran.length === 1);
    await worker.stop();
  });
});
