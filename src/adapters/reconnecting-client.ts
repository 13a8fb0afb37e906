/**
 * What the Asterisk and FreeSWITCH clients share: start and stop, one connection after another
 * with backoff between them (SPEC §9: 1 s doubling to 30 s, reset by a good connection), the
 * connection state for /readyz and /metrics, and the queue that applies a connection's events one
 * at a time. A subclass only opens one connection (`connectOnce`, resolving when it has ended) and
 * closes it on stop (`closeConnection`).
 */
import type { FastifyBaseLogger } from 'fastify';
import { Backoff, pause } from './backoff.js';
import { type ConnectionStatus, type PbxClient, StatusHolder } from './connection.js';
import { SerialQueue } from './serial.js';
import type { AdapterName } from './types.js';

export interface ReconnectingClientOptions {
  backoff?: Backoff;
}

export abstract class ReconnectingClient implements PbxClient {
  protected readonly statusHolder = new StatusHolder();
  protected readonly backoff: Backoff;
  protected running = false;
  protected abort = new AbortController();
  protected queue: SerialQueue | null = null;
  private loop: Promise<void> = Promise.resolve();

  constructor(
    protected readonly adapter: AdapterName,
    protected readonly log: FastifyBaseLogger,
    /** An event the store kept refusing (after the queue's retries): counted and logged. */
    private readonly onGiveUp: (type: string, error: unknown) => void,
    options: ReconnectingClientOptions = {},
  ) {
    this.backoff = options.backoff ?? new Backoff();
  }

  /** Opens one connection; resolves once it has closed (or failed to open). */
  protected abstract connectOnce(): Promise<void>;
  /** Ends the open connection, if any (stop; a close the PBX sees as ours). */
  protected abstract closeConnection(): void;

  status(): ConnectionStatus {
    return this.statusHolder.get();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.abort = new AbortController();
    this.backoff.reset();
    this.queue = new SerialQueue({
      onRetry: (error, type) =>
        this.log.warn({ adapter: this.adapter, type, err: error }, 'PBX event failed; retrying'),
      onGiveUp: (error, type) => this.onGiveUp(type, error),
    });
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.abort.abort();
    this.closeConnection();
    await this.loop;
    await this.queue?.stop();
    this.statusHolder.set('standby');
  }

  /** A connection that is up: the next loss starts the backoff from its first step again. */
  protected connected(): void {
    this.backoff.reset();
    this.statusHolder.set('connected', null);
  }

  /** The connection closed: say so once if it had been up and we did not close it ourselves. */
  protected closed(detail: string, logFields: Record<string, unknown> = {}): void {
    if (this.statusHolder.get().state === 'connected' && this.running) {
      this.statusHolder.error(detail);
      this.log.warn({ adapter: this.adapter, ...logFields }, 'PBX connection lost; reconnecting');
    }
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.statusHolder.set('connecting');
      await this.connectOnce();
      // `replaced`: the PBX gave our subscription to another client. Connecting again would take
      // it back from them, and they from us, in a loop: stay off until restarted.
      if (!this.running || this.statusHolder.get().state === 'replaced') return;
      this.statusHolder.set('connecting');
      await pause(this.backoff.next(), this.abort.signal);
    }
  }
}
