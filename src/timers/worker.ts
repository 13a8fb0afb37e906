/**
 * The durable timer worker. Timers are rows in the store (XState does not persist pending
 * delayed events: statelyai/xstate#5331); this worker sleeps until the earliest due row,
 * claims what is due and delivers each through CallService.fireTimer, the same path as
 * every other event. On start it fires whatever came due while the service was down, and after
 * a store outage whatever came due during it: a firing commits only while its timer row is still
 * there, so nothing fires twice.
 */
import type { CallService } from '../calls/service.js';
import type { CallStore } from '../store/types.js';

export interface TimerWorkerOptions {
  /** How long a claim keeps other processes off a timer; a crashed claimer's rows come back after it. */
  leaseMs?: number;
  batchSize?: number;
  /** Longest sleep: bounds how late a timer armed by another process (missed notification) fires. */
  maxSleepMs?: number;
  now?: () => number;
  /** Resolves when the store serves (at once when it does): while it is down the worker waits. */
  whenStoreUp?: () => Promise<void>;
  onError?: (error: unknown) => void;
}

export class TimerWorker {
  private handle: NodeJS.Timeout | null = null;
  private wakeAt = Number.POSITIVE_INFINITY;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = true;
  private readonly leaseMs: number;
  private readonly batchSize: number;
  private readonly maxSleepMs: number;
  private readonly now: () => number;
  private readonly onError: (error: unknown) => void;
  private readonly whenStoreUp: () => Promise<void>;

  constructor(
    private readonly store: CallStore,
    private readonly service: CallService,
    options: TimerWorkerOptions = {},
  ) {
    this.leaseMs = options.leaseMs ?? 30_000;
    this.batchSize = options.batchSize ?? 500;
    this.maxSleepMs = options.maxSleepMs ?? 60_000;
    this.now = options.now ?? Date.now;
    this.onError = options.onError ?? (() => {});
    this.whenStoreUp = options.whenStoreUp ?? (() => Promise.resolve());
  }

  start(): void {
    this.stopped = false;
    this.wake(this.now());
  }

  /** A timer due at `dueAt` was armed (here or, via notification, elsewhere). */
  armed(dueAt: number): void {
    if (!this.stopped && dueAt < this.wakeAt) this.wake(dueAt);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.handle) clearTimeout(this.handle);
    this.handle = null;
    await this.running;
  }

  private wake(at: number): void {
    if (this.handle) clearTimeout(this.handle);
    this.wakeAt = at;
    const delay = Math.min(Math.max(0, at - this.now()), this.maxSleepMs);
    this.handle = setTimeout(() => this.tick(), delay);
  }

  private tick(): void {
    this.handle = null;
    this.wakeAt = Number.POSITIVE_INFINITY;
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
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
      const due = await this.store.claimDueTimers(this.now(), this.batchSize, this.leaseMs);
      if (due.length === 0 || this.stopped) break;
      await Promise.all(due.map((timer) => this.service.fireTimer(timer).catch(this.onError)));
    }
    if (this.stopped) return;
    const next = await this.store.nextTimerDue();
    this.wake(next ?? this.now() + this.maxSleepMs);
  }
}
