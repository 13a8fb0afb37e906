/**
 * The one durable-job mechanism. A job is a row in the store's jobs table (XState does not
 * persist pending delayed events: statelyai/xstate#5331, so the hold check is one; webhook
 * deliveries, idle calls and retention are others). This worker sleeps until the earliest due
 * row, claims what is due with a lease (other nodes skip it meanwhile; a dead claimer's rows
 * come back when the lease ends) and runs each with the handler of its task. On start it runs
 * whatever came due while the service was down.
 *
 * A handler owns its job's end: a call timer is deleted by the change it commits; other tasks
 * call store.finishJob or store.retryJob. A handler that throws leaves the row to come back
 * after its lease.
 */
import type { CallStore, JobRow } from '../store/types.js';

export type JobHandler = (job: JobRow) => Promise<unknown>;

export interface JobWorkerOptions {
  /** How long a claim keeps other processes off a timer; a crashed claimer's rows come back after it. */
  leaseMs?: number;
  batchSize?: number;
  /** Longest sleep: bounds how late a timer armed by another process (missed notification) fires. */
  maxSleepMs?: number;
  /**
   * Shortest time from one claim to the next when jobs keep coming due while the worker runs:
   * under load every change that schedules a job (a webhook message) would otherwise start
   * another claim as soon as the last one ends, mostly to find nothing new.
   */
  claimGapMs?: number;
  now?: () => number;
  /** Resolves when the store serves (at once when it does): while it is down the worker waits. */
  whenStoreUp?: () => Promise<void>;
  onError?: (error: unknown) => void;
}

export class JobWorker {
  private readonly handlers = new Map<string, JobHandler>();
  private fallback: JobHandler | null = null;
  private sleep: NodeJS.Timeout | null = null;
  private wakeAt = Number.POSITIVE_INFINITY;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = true;
  private lastClaimAt = Number.NEGATIVE_INFINITY;
  /** How long a claim keeps a job from other processes (a handler that needs longer extends it). */
  readonly leaseMs: number;
  private readonly batchSize: number;
  private readonly maxSleepMs: number;
  private readonly claimGapMs: number;
  private readonly now: () => number;
  private readonly onError: (error: unknown) => void;
  private readonly whenStoreUp: () => Promise<void>;

  constructor(
    private readonly store: CallStore,
    options: JobWorkerOptions = {},
  ) {
    this.leaseMs = options.leaseMs ?? 30_000;
    this.batchSize = options.batchSize ?? 500;
    this.maxSleepMs = options.maxSleepMs ?? 60_000;
    this.claimGapMs = options.claimGapMs ?? 0;
    this.now = options.now ?? Date.now;
    this.onError = options.onError ?? (() => {});
    this.whenStoreUp = options.whenStoreUp ?? (() => Promise.resolve());
  }

  /** Runs jobs of `task` with `handler` (one handler a task). */
  handle(task: string, handler: JobHandler): void {
    if (this.handlers.has(task)) throw new Error(`job task "${task}" has a handler already`);
    this.handlers.set(task, handler);
  }

  /** Runs jobs of every task without a handler of its own (the call's machine timers). */
  handleOthers(handler: JobHandler): void {
    this.fallback = handler;
  }

  start(): void {
    this.stopped = false;
    this.wake(this.now());
  }

  /** A job due at `dueAt` was scheduled (here or, via notification, elsewhere). */
  scheduled(dueAt: number): void {
    if (!this.stopped && this.claimableAt(dueAt) < this.wakeAt) this.wake(dueAt);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.sleep) clearTimeout(this.sleep);
    this.sleep = null;
    await this.running;
  }

  private wake(dueAt: number): void {
    if (this.sleep) clearTimeout(this.sleep);
    const at = this.claimableAt(dueAt);
    this.wakeAt = at;
    const delay = Math.min(Math.max(0, at - this.now()), this.maxSleepMs);
    this.sleep = setTimeout(() => this.tick(), delay);
  }

  /** When a job due at `dueAt` is next claimed: its due time, or claimGapMs after the last claim. */
  private claimableAt(dueAt: number): number {
    return Math.max(dueAt, this.lastClaimAt + this.claimGapMs);
  }

  private tick(): void {
    this.sleep = null;
    this.wakeAt = Number.POSITIVE_INFINITY;
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    // After a store outage, whatever came due during it runs: a call timer's firing commits only
    // while its row is still there, and other tasks end their job conditionally, so nothing runs twice.
    this.running = this.whenStoreUp()
      .then(() => this.fireDue())
      .catch((error) => {
        this.onError(error);
        if (!this.stopped) this.wake(this.now() + 1000);
      })
      .finally(() => {
        this.running = null;
        if (this.again && !this.stopped) {
          this.again = false;
          this.wake(this.now());
        }
      });
  }

  private async fireDue(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      this.lastClaimAt = this.now();
      const due = await this.store.claimDueTimers(this.lastClaimAt, this.batchSize, this.leaseMs);
      if (due.length === 0 || this.stopped) break;
      await Promise.all(due.map((job) => this.run(job)));
      // A short batch took all that was due: what came due since waits for the next wake.
      if (due.length < this.batchSize) break;
    }
    if (this.stopped) return;
    const next = await this.store.nextTimerDue();
    this.wake(next ?? this.now() + this.maxSleepMs);
  }

  private async run(job: JobRow): Promise<void> {
    const handler = this.handlers.get(job.name) ?? this.fallback;
    // No handler: a newer node's task; its row comes back after the lease for a node that has one.
    if (!handler) return;
    try {
      await handler(job);
    } catch (error) {
      this.onError(error);
    }
  }
}
