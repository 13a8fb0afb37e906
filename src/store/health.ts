/**
 * Whether the store can serve now, as the service has seen it (SPEC §10, store faults). The
 * first fault (faults.ts) marks it down; a probe every second while down (and at once after any
 * store call that succeeds again) marks it up. Readiness, the background jobs and the metrics
 * read it. The log gets one warning when an outage starts and one line when it ends, however many
 * requests it refused in between.
 */
import { classifyStoreError, type StoreFaultKind } from './faults.js';

export interface HealthLog {
  warn(fields: object, message: string): void;
  info(fields: object, message: string): void;
}

export interface StoreHealthOptions {
  /** A cheap check that the store can write now: the unguarded store's ping. */
  probe(): Promise<void>;
  log: HealthLog;
  /** How often a down store is probed. */
  probeIntervalMs?: number;
  /** Every fault a store call met (metrics count them by kind). */
  onFault?(kind: StoreFaultKind): void;
  now?: () => number;
}

interface Outage {
  /** The fault that started it. */
  kind: StoreFaultKind;
  since: number;
  /** Every kind seen meanwhile (a restarting PostgreSQL goes from refused connections to "starting up"). */
  kinds: Set<StoreFaultKind>;
  /** Requests answered 503/507 because of it. */
  refused: number;
  announced: boolean;
}

/** A success right after a failed probe probes again no sooner than this. */
const MIN_PROBE_GAP_MS = 200;

export class StoreHealth {
  private outage: Outage | null = null;
  private probing = false;
  private lastProbeAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private waiters: (() => void)[] = [];
  private closed = false;
  private readonly probeIntervalMs: number;
  private readonly now: () => number;

  constructor(private readonly options: StoreHealthOptions) {
    this.probeIntervalMs = options.probeIntervalMs ?? 1_000;
    this.now = options.now ?? Date.now;
  }

  get up(): boolean {
    return this.outage === null;
  }

  /** The fault that started the current outage, or null when the store is up. */
  get fault(): StoreFaultKind | null {
    return this.outage?.kind ?? null;
  }

  /** A store call failed with this fault. */
  failed(kind: StoreFaultKind): void {
    this.options.onFault?.(kind);
    if (this.outage) {
      this.outage.kinds.add(kind);
      return;
    }
    if (this.closed) return;
    this.outage = { kind, since: this.now(), kinds: new Set([kind]), refused: 0, announced: false };
    // The warning waits a turn of the event loop, so it counts the whole batch that failed at once.
    setImmediate(() => this.announce());
    this.schedule();
  }

  /** A request was answered 503/507 because of the current outage. */
  refused(): void {
    if (this.outage) this.outage.refused++;
  }

  /** A store call succeeded: while down, confirm with a probe now rather than at the next tick. */
  succeeded(): void {
    if (this.outage && this.now() - this.lastProbeAt >= MIN_PROBE_GAP_MS) void this.probe();
  }

  /** Resolves once the store is up (at once when it is), or when the service closes. */
  whenUp(): Promise<void> {
    if (!this.outage || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.release();
  }

  private schedule(): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.probe();
    }, this.probeIntervalMs);
    this.timer.unref();
  }

  private async probe(): Promise<void> {
    if (this.probing || this.closed || !this.outage) return;
    this.probing = true;
    this.lastProbeAt = this.now();
    try {
      await this.options.probe();
      this.recover();
    } catch (error) {
      const kind = classifyStoreError(error);
      if (kind) this.outage?.kinds.add(kind);
    } finally {
      this.probing = false;
      if (this.outage) this.schedule();
    }
  }

  private announce(): void {
    const outage = this.outage;
    if (!outage || outage.announced) return;
    outage.announced = true;
    this.options.log.warn(
      { storeFault: outage.kind, refused: outage.refused },
      `store unavailable (${outage.kind}): requests that need it are answered ${outage.kind === 'disk-full' ? 507 : 503} until it is back`,
    );
  }

  private recover(): void {
    const outage = this.outage;
    if (!outage) return;
    this.announce();
    this.outage = null;
    const seconds = Math.round((this.now() - outage.since) / 100) / 10;
    this.options.log.info(
      { storeFault: outage.kind, kinds: [...outage.kinds], refused: outage.refused, seconds },
      `store available again after ${seconds} s (${outage.refused} requests refused meanwhile)`,
    );
    this.release();
  }

  private release(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}
