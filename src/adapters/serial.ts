/**
 * Events of one PBX connection, handled one at a time in arrival order (so a call's hold never
 * overtakes its creation). A task that throws (the store is down) is retried with backoff for up
 * to a minute: the PBX does not send an event twice, so giving up at once would lose it.
 */
import { pause } from './backoff.js';

export interface SerialOptions {
  /** Called when a task is given up (after retries, or because the queue was stopped). */
  onGiveUp(error: unknown, label: string): void;
  /** Called once when a task starts failing (the first failure of a run of failures). */
  onRetry?(error: unknown, label: string): void;
  retryMs?: { min: number; max: number; totalMs: number };
  /** Tasks waiting at most; past it new ones are given up (a store down for long, a flood). */
  maxQueued?: number;
}

export class SerialQueue {
  private tail: Promise<void> = Promise.resolve();
  private queued = 0;
  private readonly abort = new AbortController();

  constructor(private readonly options: SerialOptions) {}

  push(label: string, task: () => Promise<void>): void {
    if (this.abort.signal.aborted) return;
    if (this.queued >= (this.options.maxQueued ?? 10_000)) {
      this.options.onGiveUp(new Error('too many PBX events waiting for the store'), label);
      return;
    }
    this.queued++;
    this.tail = this.tail.then(async () => {
      try {
        await this.attempt(label, task);
      } finally {
        this.queued--;
      }
    });
  }

  /** Resolves when everything pushed so far is done. */
  idle(): Promise<void> {
    return this.tail;
  }

  /** Stops retrying: what is queued still runs, once each (a graceful stop loses nothing that the
   *  store takes); nothing new is accepted. */
  stop(): Promise<void> {
    this.abort.abort();
    return this.tail;
  }

  private async attempt(label: string, task: () => Promise<void>): Promise<void> {
    const { min, max, totalMs } = this.options.retryMs ?? { min: 200, max: 5_000, totalMs: 60_000 };
    const deadline = Date.now() + totalMs;
    let delay = min;
    for (let tries = 0; ; tries++) {
      try {
        await task();
        return;
      } catch (error) {
        if (tries === 0) this.options.onRetry?.(error, label);
        if (Date.now() + delay > deadline || this.abort.signal.aborted) {
          this.options.onGiveUp(error, label);
          return;
        }
        await pause(delay, this.abort.signal);
        delay = Math.min(max, delay * 2);
      }
    }
  }
}
