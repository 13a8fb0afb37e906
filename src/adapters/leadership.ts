/**
 * One process at a time does a job when several share a PostgreSQL database: holds a PBX
 * connection here, runs a retention sweep elsewhere. The lock is a PostgreSQL session advisory lock
 * (`pg_try_advisory_lock`) on a connection of its own: it lives exactly as long as that session,
 * so a holder killed with -9 loses it the moment the server sees its socket close, and the others,
 * trying every `retryMs`, take over within one retry. A holder that stops talking without its
 * socket closing (a frozen process, a dead host, a cut network) is ended by the server itself:
 * the session sets `idle_session_timeout` to a few retries, and the holder pings every retry, so
 * only a silent one goes idle that long.
 *
 * A holder whose session breaks (PostgreSQL restarted, a network blip) keeps its job for up to
 * `graceMs` while it reconnects: it resigns as soon as it finds the lock taken by another node, and
 * carries on if it wins it back. Dropping the PBX connection at once would lose what the PBX says
 * meanwhile (a PBX does not resend), whereas two holders for a moment only deliver some events
 * twice, and every event has its idempotency key.
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
  /** How long a holder whose session broke keeps its job while it cannot reach the database. */
  graceMs?: number;
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
  private readonly graceMs: number;
  /** When the holder's session broke (it still leads, until it knows whether the lock is still free). */
  private lostAt: number | null = null;

  constructor(private readonly options: LeadershipOptions) {
    this.key = lockKey(options.name);
    this.retryMs = options.retryMs ?? 1_500;
    this.graceMs = options.graceMs ?? 30_000;
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
        // The database is away or the session broke: try again, saying so once (a holder keeps its
        // job meanwhile, for up to graceMs: below).
        if (!warned)
          this.options.log.warn({ job: this.options.name, err: (error as Error).message }, 'leader lock unavailable');
        warned = true;
      }
      await this.closeClient();
      if (this.leading && this.running) {
        this.lostAt ??= Date.now();
        if (Date.now() - this.lostAt >= this.graceMs) {
          this.options.log.warn({ job: this.options.name }, 'leader lock not regained in time; stopping the job');
          await this.resign();
        }
      }
      if (this.running) await pause(this.retryMs, this.abort.signal);
    }
    await this.resign();
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
    // The session's end (the server ended it, the network broke) wakes the loop at once: a holder
    // reconnects and learns whether the lock is still free (or another node's) without delay.
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
    // Several pings long, so only a silent holder's session ends; short enough for a takeover
    // within 10 s of a holder that froze or lost its network.
    await client.query(`SET idle_session_timeout = ${this.retryMs * 3}`);
    while (this.running && !session.broken) {
      if (!this.leading || this.lostAt !== null) {
        const { rows } = await client.query('SELECT pg_try_advisory_lock($1::bigint) AS won', [this.key]);
        const won = rows[0]?.won === true;
        if (won && this.lostAt !== null) {
          this.options.log.info({ job: this.options.name, pid: process.pid }, 'leader lock won back');
        } else if (won) {
          this.leading = true;
          this.options.log.info({ job: this.options.name, pid: process.pid }, 'leader lock won');
          await this.options.onAcquired();
        } else if (this.leading) {
          // Another node took it while our session was broken: it does the job now.
          this.options.log.info({ job: this.options.name }, 'leader lock taken by another node; stopping the job');
          await this.resign();
        }
        this.lostAt = null;
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
    this.lostAt = null;
    if (!this.leading) return;
    this.leading = false;
    try {
      await this.options.onLost();
    } catch (error) {
      this.options.log.error({ err: error, job: this.options.name }, 'stopping the leader job failed');
    }
  }

  /** Bounded: `end()` on a connection whose network is gone can wait as long as TCP does. */
  private async closeClient(): Promise<void> {
    const client = this.client;
    this.client = null;
    if (!client) return;
    const done = new AbortController();
    await Promise.race([client.end().catch(() => {}), pause(this.retryMs, done.signal)]);
    done.abort(); // no timer left behind to hold the process open
  }
}
