/**
 * The shared store: PostgreSQL through `pg`, for several service processes on one database
 * (docs/adr/0003-multi-node-postgres.md). Same contract as the SQLite store; the differences are
 * what sharing needs: optimistic version checks decide who wins a call, due timers are claimed
 * with FOR UPDATE SKIP LOCKED and a lease, and LISTEN/NOTIFY tells the other processes about
 * every committed change and every armed timer.
 */
import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { projectPath } from '../paths.js';
import { asParsed, toCall, toHistory, toTimer } from './rows.js';
import type {
  CallStatus,
  CallStore,
  Change,
  CommitOutcome,
  JobRow,
  ListQuery,
  RemoteHandlers,
  Row,
  Statement,
  TransactionResult,
} from './types.js';

/** Channel of committed changes; payload `"<callId> <version>"` (a call id has no spaces). */
export const CHANGE_CHANNEL = 'callflow_change';
/** Channel of armed timers; payload the earliest `dueAt` (epoch ms) a commit armed. */
export const TIMER_CHANNEL = 'callflow_timer';
/** Channel of published script versions (a trigger on script_versions, migration 0008); payload the version. */
export const SCRIPT_CHANNEL = 'callflow_script';

/** Key of the session-level advisory lock that serialises migrations across starting nodes. */
const MIGRATION_LOCK = 0x63_66_6d_67; // 'cfmg'

const MIGRATIONS_DIR = projectPath('src/store/migrations/postgres');

const SQL = {
  // The whole batch in one statement: tried whole in one subtransaction, change by change (a
  // savepoint each) only when one conflicts (migrations/postgres/0003).
  commit: 'SELECT callflow_commit($1::json) AS outcomes',
  getCall: 'SELECT * FROM calls WHERE call_id = $1',
  history: 'SELECT * FROM history WHERE call_id = $1 AND seq > $2 ORDER BY seq',
  findEvent: 'SELECT * FROM history WHERE call_id = $1 AND event_id = $2',
  eventIds: 'SELECT event_id FROM history WHERE call_id = $1 AND event_id IS NOT NULL ORDER BY seq',
  // graphile-worker / pg-boss: claim due rows nobody holds, skipping rows another node is
  // claiming right now, and lease them; a claimer that dies lets its lease run out. Ordered by
  // when each row became claimable, on jobs_by_claimable: a range of due rows only, where
  // `due_at <= $1 AND locked_until <= $1` walked every leased row that is due as well.
  claimDue: `WITH due AS (
      SELECT call_id, timer_id FROM jobs
      WHERE GREATEST(due_at, locked_until) <= $1
      ORDER BY GREATEST(due_at, locked_until)
      LIMIT $2
      FOR UPDATE SKIP LOCKED
    )
    UPDATE jobs t SET locked_until = $3
    FROM due WHERE t.call_id = due.call_id AND t.timer_id = due.timer_id
    RETURNING t.call_id, t.timer_id, t.name, t.due_at, t.event, t.locked_until`,
  // The earliest moment any row can be claimed: its due time, or the end of its lease.
  nextDue: `SELECT GREATEST(due_at, locked_until) AS due FROM jobs
    ORDER BY GREATEST(due_at, locked_until) LIMIT 1`,
  scheduleReplace: `INSERT INTO jobs (call_id, timer_id, name, due_at, event, locked_until) VALUES ($1, $2, $3, $4, $5::json, 0)
    ON CONFLICT (call_id, timer_id) DO UPDATE SET name = excluded.name, due_at = excluded.due_at,
      event = excluded.event, locked_until = 0`,
  scheduleKeep: `INSERT INTO jobs (call_id, timer_id, name, due_at, event, locked_until) VALUES ($1, $2, $3, $4, $5::json, 0)
    ON CONFLICT (call_id, timer_id) DO NOTHING`,
  finishJob: 'DELETE FROM jobs WHERE call_id = $1 AND timer_id = $2 AND due_at = $3',
  retryJob: 'UPDATE jobs SET due_at = $4, locked_until = 0 WHERE call_id = $1 AND timer_id = $2 AND due_at = $3',
  count: 'SELECT count(*) AS n FROM calls WHERE status = $1',
} as const;

/** bigint (int8, also count(*)) as a JS number: epoch milliseconds and counts fit exactly. */
const TYPES = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === pg.types.builtins.INT8
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

export interface PostgresOptions {
  /** Connections in the pool (commits, reads, timer claims). */
  poolSize?: number;
  /** Commit batches in flight at once, each on its own pooled connection. */
  maxConcurrentCommits?: number;
  /** Listener reconnect delay bounds, ms. */
  reconnectMs?: { min: number; max: number };
}

export async function openPostgresStore(url: string, options: PostgresOptions = {}): Promise<CallStore> {
  const poolSize = options.poolSize ?? 10;
  const maxConcurrentCommits = Math.min(options.maxConcurrentCommits ?? 4, poolSize);
  const reconnect = options.reconnectMs ?? { min: 100, max: 5_000 };
  // keepAlive: a server that vanished without a reset (a network partition) is noticed.
  const clientConfig: pg.ClientConfig = {
    connectionString: url,
    types: TYPES,
    application_name: 'callflow',
    keepAlive: true,
  };
  // A connection (new, or from a busy pool) not had within 10 s fails as a store fault (503)
  // instead of holding the request forever.
  const pool = new pg.Pool({
    ...clientConfig,
    max: poolSize,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
  });
  // An idle connection that dies (server restart, network) is dropped by the pool; without a
  // listener the 'error' event would crash the process.
  pool.on('error', () => {});
  // Our own connections' backend pids: notifications from them are our own commits, which this
  // process has already published and scheduled locally.
  const ownPids = new Set<number>();
  const pidOf = (client: pg.PoolClient) => (client as unknown as { processID: number | null }).processID;
  pool.on('connect', (client) => {
    const pid = pidOf(client);
    if (pid !== null) ownPids.add(pid);
  });
  pool.on('remove', (client) => {
    const pid = pidOf(client);
    if (pid !== null) ownPids.delete(pid);
  });

  try {
    await migrate(pool);
  } catch (error) {
    await pool.end().catch(() => {});
    throw error;
  }

  let closed = false;
  let listener: pg.Client | null = null;
  let reconnectTimer: NodeJS.Timeout | null = null;
  /** Capabilities' own channels (store.listen), LISTENed on every (re)connection of the listener. */
  const channels = new Map<string, Set<(payload: string | null) => void>>();

  async function commit(changes: Change[]): Promise<CommitOutcome[]> {
    if (changes.length === 0) return [];
    // Calls in a fixed order, so two nodes' batches over the same calls never wait on each
    // other in a cycle (the per-call queue already keeps one change per call in a batch).
    const order = changes.map((_, i) => i).sort((a, b) => compare(changes[a]!.call.callId, changes[b]!.call.callId));
    const query = {
      name: 'cf_commit',
      text: SQL.commit,
      values: [JSON.stringify(order.map((i) => changeRow(changes[i]!)))],
    };
    const outcomesOf = (rows: Row[]): CommitOutcome[] => {
      const written = rows[0]?.outcomes as boolean[] | undefined;
      if (written?.length !== changes.length) throw new Error('callflow_commit: wrong number of outcomes');
      const outcomes: CommitOutcome[] = changes.map(() => 'conflict');
      for (const [k, i] of order.entries()) outcomes[i] = written[k] ? 'ok' : 'conflict';
      return outcomes;
    };
    // The usual batch is one statement, its own transaction. Other capabilities' rows (outbox
    // messages, escalations) join it in one explicit transaction, for the changes that stood.
    if (!changes.some((change) => change.sideWrites?.length)) return outcomesOf((await pool.query(query)).rows);
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const outcomes = outcomesOf((await client.query(query)).rows);
      for (const [i, change] of changes.entries()) {
        if (outcomes[i] !== 'ok') continue;
        for (const statement of change.sideWrites ?? [])
          await client.query(numbered(statement.sql), [...(statement.params ?? [])]);
      }
      await client.query('COMMIT');
      return outcomes;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  async function transaction(statements: Statement[]): Promise<TransactionResult> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const results: { changes: number; rows: Row[] }[] = [];
      for (const [i, statement] of statements.entries()) {
        const result = await client.query(numbered(statement.sql), [...(statement.params ?? [])]);
        const changes = result.rowCount ?? result.rows.length;
        if (statement.expectChanges !== undefined && changes !== statement.expectChanges) {
          await client.query('ROLLBACK');
          return { ok: false, failedAt: i };
        }
        results.push({ changes, rows: result.rows });
      }
      await client.query('COMMIT');
      return { ok: true, results };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  async function startListener(handlers: RemoteHandlers): Promise<void> {
    const client = new pg.Client({ ...clientConfig, application_name: 'callflow-listen' });
    client.on('notification', (message) => {
      if (ownPids.has(message.processId)) return;
      const payload = message.payload ?? '';
      if (message.channel === CHANGE_CHANNEL) {
        const space = payload.lastIndexOf(' ');
        const version = Number(payload.slice(space + 1));
        if (space > 0 && Number.isInteger(version)) handlers.change(payload.slice(0, space), version);
      } else if (message.channel === TIMER_CHANNEL) {
        const dueAt = Number(payload);
        if (Number.isFinite(dueAt)) handlers.timerArmed(dueAt);
      } else if (message.channel === SCRIPT_CHANNEL) {
        const version = Number(payload);
        if (Number.isInteger(version)) handlers.scriptPublished?.(version);
      } else {
        for (const onNotify of channels.get(message.channel) ?? []) onNotify(payload);
      }
    });
    let listening = false;
    let lost = false;
    const onLost = () => {
      if (lost) return;
      lost = true;
      if (listener === client) listener = null;
      client.end().catch(() => {});
      // A connection that never listened is the caller's failure to handle (start-up, or the
      // reconnect loop's own backoff).
      if (listening) scheduleReconnect(handlers, reconnect.min);
    };
    client.on('error', onLost);
    client.on('end', onLost);
    try {
      await client.connect();
      await client.query(
        [CHANGE_CHANNEL, TIMER_CHANNEL, SCRIPT_CHANNEL, ...channels.keys()].map((c) => `LISTEN ${c}`).join('; '),
      );
    } catch (error) {
      onLost();
      throw error;
    }
    if (closed) {
      lost = true;
      await client.end().catch(() => {});
      return;
    }
    listening = true;
    listener = client;
  }

  function scheduleReconnect(handlers: RemoteHandlers, delay: number): void {
    if (closed || reconnectTimer) return;
    reconnectTimer = setTimeout(() => {
      reconnectTimer = null;
      startListener(handlers).then(
        // Arms, scripts and capabilities' changes published while we were away are lost: look
        // at the tables now.
        () => {
          handlers.timerArmed(Date.now());
          handlers.scriptPublished?.(null);
          for (const set of channels.values()) for (const onNotify of set) onNotify(null);
        },
        () => scheduleReconnect(handlers, Math.min(delay * 2, reconnect.max)),
      );
    }, delay);
    reconnectTimer.unref();
  }

  return {
    kind: 'postgres',
    shared: true,
    maxConcurrentCommits,
    async watch(handlers) {
      await startListener(handlers);
    },
    commit,
    async getCall(callId) {
      const { rows } = await pool.query({ name: 'cf_get_call', text: SQL.getCall, values: [callId] });
      return rows[0] ? toCall(rows[0], asParsed) : null;
    },
    async listCalls(query: ListQuery) {
      const where: string[] = [];
      const params: unknown[] = [];
      if (query.status) {
        params.push(query.status);
        where.push(`status = $${params.length}`);
      }
      if (query.operatorId) {
        params.push(query.operatorId);
        where.push(`operator_id = $${params.length}`);
      }
      if (query.cursor) {
        params.push(query.cursor);
        where.push(`call_id > $${params.length}`);
      }
      params.push(query.limit);
      const { rows } = await pool.query(
        `SELECT * FROM calls ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY call_id LIMIT $${params.length}`,
        params,
      );
      return rows.map((row) => toCall(row, asParsed));
    },
    async history(callId, afterSeq = 0) {
      const { rows } = await pool.query({ name: 'cf_history', text: SQL.history, values: [callId, afterSeq] });
      return rows.map((row) => toHistory(row, asParsed));
    },
    async eventIds(callId) {
      const { rows } = await pool.query({ name: 'cf_event_ids', text: SQL.eventIds, values: [callId] });
      return rows.map((row: { event_id: string }) => row.event_id);
    },
    async findEvent(callId, eventId) {
      const { rows } = await pool.query({ name: 'cf_find_event', text: SQL.findEvent, values: [callId, eventId] });
      return rows[0] ? toHistory(rows[0], asParsed) : null;
    },
    async claimDueTimers(now, limit, leaseMs) {
      const { rows } = await pool.query({
        name: 'cf_claim_due',
        text: SQL.claimDue,
        values: [now, limit, now + leaseMs],
      });
      return rows.map((row) => toTimer(row, asParsed)).sort((a, b) => a.dueAt - b.dueAt);
    },
    async nextTimerDue() {
      const { rows } = await pool.query({ name: 'cf_next_due', text: SQL.nextDue });
      return rows[0] ? (rows[0].due as number) : null;
    },
    async countCalls(status: CallStatus) {
      const { rows } = await pool.query({ name: 'cf_count', text: SQL.count, values: [status] });
      return rows[0].n as number;
    },
    async scheduleJob(job, mode) {
      await pool.query({
        name: `cf_schedule_${mode}`,
        text: mode === 'replace' ? SQL.scheduleReplace : SQL.scheduleKeep,
        values: [job.callId, job.timerId, job.name, job.dueAt, JSON.stringify(job.event)],
      });
      // Other nodes' workers sleep until their earliest known job: wake them for this one.
      await pool.query('SELECT pg_notify($1, $2)', [TIMER_CHANNEL, String(job.dueAt)]);
    },
    async finishJob(job) {
      const { rowCount } = await pool.query({
        name: 'cf_finish_job',
        text: SQL.finishJob,
        values: [job.callId, job.timerId, job.dueAt],
      });
      return rowCount === 1;
    },
    async retryJob(job, dueAt) {
      const { rowCount } = await pool.query({
        name: 'cf_retry_job',
        text: SQL.retryJob,
        values: [job.callId, job.timerId, job.dueAt, dueAt],
      });
      if (rowCount === 1) await pool.query('SELECT pg_notify($1, $2)', [TIMER_CHANNEL, String(dueAt)]);
      return rowCount === 1;
    },
    async query(sql, params = []) {
      return (await pool.query(numbered(sql), [...params])).rows;
    },
    transaction,
    async listen(channel, onNotify) {
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel)) throw new Error(`not a channel name: ${channel}`);
      let set = channels.get(channel);
      if (!set) {
        set = new Set();
        channels.set(channel, set);
        // A listener connected before the first subscriber: LISTEN on it now (a later
        // reconnection LISTENs every known channel).
        await listener?.query(`LISTEN ${channel}`);
      }
      set.add(onNotify);
      return () => {
        set.delete(onNotify);
      };
    },
    async ping() {
      await pool.query('SELECT 1');
    },
    async close() {
      if (closed) return;
      closed = true;
      if (reconnectTimer) clearTimeout(reconnectTimer);
      reconnectTimer = null;
      const current = listener;
      listener = null;
      await current?.end().catch(() => {});
      await pool.end();
    },
  };
}

/** JSON text, encoded once more by the batch's JSON.stringify (see 0002_commit_function.sql). */
const text = (value: unknown) => JSON.stringify(value);

/** A change as callflow_commit reads it (snake_case columns). The history row's copies of the
 *  call's snapshot, prompts, actions, timers and status are sent once when they are the same. */
function changeRow(change: Change): Record<string, unknown> {
  const { call } = change;
  const row: Record<string, unknown> = {
    kind: change.kind,
    call_id: call.callId,
    status: call.status,
    version: call.version,
    locale: call.locale,
    snapshot: text(call.snapshot),
    prompts: text(call.prompts),
    actions: text(call.actions),
    timers: text(call.timers),
    create_fingerprint: call.createFingerprint,
    created_at: call.createdAt,
    updated_at: call.updatedAt,
    operator_id: call.operatorId,
    script_version: call.scriptVersion,
    ensure_jobs: change.ensureJobs?.length ? change.ensureJobs.map(jobRow) : null,
  };
  if (change.kind === 'create') return row;
  const h = change.history;
  return Object.assign(row, {
    expected_version: change.expectedVersion,
    fired_timer_id: change.firedTimer?.timerId ?? null,
    fired_due_at: change.firedTimer?.dueAt ?? null,
    seq: h.seq,
    event_id: text(h.eventId),
    fingerprint: h.fingerprint,
    type: h.type,
    data: text(h.data),
    source: h.source,
    at: h.at,
    h_status: h.status === call.status ? null : h.status,
    h_snapshot: h.snapshot === call.snapshot ? null : text(h.snapshot),
    h_prompts: h.prompts === call.prompts ? null : text(h.prompts),
    h_actions: h.actions === call.actions ? null : text(h.actions),
    h_timers: h.timers === call.timers ? null : text(h.timers),
    cancel_timers: change.cancelTimers,
    arm_timers: change.armTimers.map(jobRow),
  });
}

function jobRow(t: JobRow): Record<string, unknown> {
  return { call_id: t.callId, timer_id: t.timerId, name: t.name, due_at: t.dueAt, event: text(t.event) };
}

/** `?` placeholders (the portable form capabilities write) as PostgreSQL's `$1, $2, …`. */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** Numbered migrations (src/store/migrations/postgres/NNNN_name.sql), each in its own
 *  transaction, under an advisory lock so nodes starting together apply each exactly once. */
async function migrate(pool: pg.Pool): Promise<void> {
  const files = readdirSync(MIGRATIONS_DIR)
    .filter((name) => /^\d{4}_[\w-]+\.sql$/.test(name))
    .sort();
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await client.query(
        `CREATE TABLE IF NOT EXISTS schema_migrations (
           version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)`,
      );
      const { rows } = await client.query('SELECT version FROM schema_migrations');
      const applied = new Set(rows.map((r) => r.version as number));
      for (const file of files) {
        const version = Number(file.slice(0, 4));
        if (applied.has(version)) continue;
        const sql = readFileSync(`${MIGRATIONS_DIR}/${file}`, 'utf8');
        await client.query('BEGIN');
        try {
          await client.query(sql);
          await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
            version,
            file,
            Date.now(),
          ]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK').catch(() => {});
          throw new Error(`PostgreSQL migration ${file} failed: ${(error as Error).message}`);
        }
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    client.release();
  }
}

/** Bytewise order of call ids (the lock order of a batch). */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
