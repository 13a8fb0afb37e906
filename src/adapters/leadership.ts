/**
 * One process at a time does a job when several share a PostgreSQL database: holds a PBX
 * connection here, runs a retention sweep elsewhere. The lock is a PostgreSQL session advisory lock
 * (`pg_try_advisory_lock`) on a connection of its own: it lives exactly as long as that session,
 * so a holder killed with -9 loses it the moment the server sees its socket close, and the others,
 * trying every `retryMs`, take over within one retry. A holder that stops talking without its
 * socket closing (a frozen process, a dead host, a cut network) is ended by the server itself:
 * the session sets `idle_session_timeout` to a few retries, and the holder pings every retry, so
 * only a silent one goes idle that long. The holder gives up first, once its ping fails or times out.
 * With SQLite one process owns the file and always leads.
 */
import { createHash } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import pg from 'pg';
import { pause } from './backoff.js';

export interface Leadership {
  readonly leading: boolean;
  /** Starts trying; `onAcquired` runs each time leadership is won, `onLost` each time it ends. */
  start(): void;
  /** Gives leadership up (onLost runs first if leading) and stops trying. */
  stop(): Promise<void>;
}

export interface LeadershipOptions {
  /** What the lock is for; one name, one lock, across all nodes of the database. */
  name: string;
  /** DATABASE_URL: `postgres://…` takes the lock there; anything else leads alone. */
  databaseUrl: string;
  onAcquired(): void | Promise<void>;
  onLost(): void | Promise<void>;
  log: FastifyBaseLogger;
  /** How often a follower tries the lock and a leader checks its session (SPEC §9: takeover < 10 s). */
  retryMs?: number;
}

export function createLeadership(options: LeadershipOptions): Leadership {
  return /^postgres(ql)?:\/\//.test(options.databaseUrl)
    ? new AdvisoryLockLeadership(options)
    : new SoleLeadership(options);
}

/** The advisory lock key for a name: 64 bits of its SHA-256, as PostgreSQL's bigint. */
export function lockKey(name: string): string {
  const digest = createHash('sha256').update(`callflow:leader:${name}`).digest();
  return digest.readBigInt64BE(0).toString();
}

class SoleLeadership implements Leadership {
  leading = false;
  constructor(private readonly options: LeadershipOptions) {}

  start(): void {
    if (this.leading) return;
    this.leading = true;
    void Promise.resolve(this.options.onAcquired()).catch((error) =>
      this.options.log.error({ err: error, job: this.options.name }, 'starting the leader job failed'),
    );
  }

  async stop(): Promise<void> {
    if (!this.leading) return;
    this.leading = false;
    await this.options.onLost();
  }
}

class AdvisoryLockLeadership implements Leadership {
  leading = false;
  private running = false;
  private readonly abort = new AbortController();
  private loop: Promise<void> = Promise.resolve();
  private client: pg.Client | null = null;
  private readonly key: string;
  private readonly retryMs: number;

  constructor(private readonly options: LeadershipOptions) {
    this.key = lockKey(options.name);
    this.retryMs = options.retryMs ?? 1_500;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.abort.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    let warned = false;
    while (this.running) {
      try {
        await this.session();
        warned = false;
      } catch (error) {
        // The database is away: whoever led has stopped; try again, saying so once.
        if (!warned)
          this.options.log.warn({ job: this.options.name, err: (error as Error).message }, 'leader lock unavailable');
        warned = true;
      }
      await this.resign();
      await this.closeClient();
      if (this.running) await pause(this.retryMs, this.abort.signal);
    }
  }

  /** One database session: try the lock until won, then check the session until it fails or we stop. */
  private async session(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.options.databaseUrl,
      application_name: `callflow-leader:${this.options.name}`,
      keepAlive: true,
      connectionTimeoutMillis: this.retryMs * 2,
      query_timeout: this.retryMs * 2,
    });
    this.client = client;
    const session = { broken: null as Error | null };
    // The session's end (the server ended it, the network broke) wakes the loop at once, so a
    // leader stops its PBX connection before another node can have taken over.
    const ended = new AbortController();
    const stopping = () => ended.abort();
    this.abort.signal.addEventListener('abort', stopping, { once: true });
    client.on('error', (error) => {
      session.broken = error;
      ended.abort();
    });
    try {
      await this.holdSession(client, session, ended.signal);
    } finally {
      this.abort.signal.removeEventListener('abort', stopping);
    }
  }

  private async holdSession(client: pg.Client, session: { broken: Error | null }, ended: AbortSignal): Promise<void> {
    await client.connect();
    // Longer than the holder's ping timeout (2 retries) plus one ping interval, so the holder has
    // given up before the server frees the lock; short enough for a takeover within 10 s.
    await client.query(`SET idle_session_timeout = ${Math.round(this.retryMs * 3.5)}`);
    while (this.running && !session.broken) {
      if (!this.leading) {
        const { rows } = await client.query('SELECT pg_try_advisory_lock($1::bigint) AS won', [this.key]);
        if (rows[0]?.won === true) {
          this.leading = true;
          this.options.log.info({ job: this.options.name, pid: process.pid }, 'leader lock won');
          await this.options.onAcquired();
        }
      } else {
        // The session still exists, so the lock is still ours.
        await client.query('SELECT 1');
      }
      await pause(this.retryMs, ended);
    }
    if (session.broken) throw session.broken;
    if (this.leading) {
      await this.resign();
      await client.query('SELECT pg_advisory_unlock($1::bigint)', [this.key]).catch(() => {});
    }
  }

  private async resign(): Promise<void> {
    if (!this.leading) return;
    this.leading = false;
    try {
      await this.options.onLost();
    } catch (error) {
      this.options.log.error({ err: error, job: this.options.name }, 'stopping the leader job failed');
    }
  }

  private async closeClient(): Promise<void> {
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => {});
  }
}
