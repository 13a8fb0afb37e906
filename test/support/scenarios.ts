/**
 * Process-level scenarios (SPEC §5) against real server processes, written once and run
 * against any store: each takes a DATABASE_URL, plus a StoreProbe that reads what is stored
 * (sqliteProbe here, postgresProbe in test/support/postgres.ts). They throw (vitest expect) on
 * a broken rule. On PostgreSQL, e.g.:
 *
 *   const { url: databaseUrl } = await testDatabase('crash');     // test/support/postgres.ts
 *   await crashScenario({ databaseUrl, probe: postgresProbe(databaseUrl) });
 *
 *   restartScenario  - a hold check due while down fires at once, one not yet due fires on time
 *   crashScenario    - kill -9 mid-burst loses no acknowledged event and leaves nothing half-written
 *   shutdownScenario - SIGTERM lets in-flight requests finish with 2xx, exits 0
 */
import http from 'node:http';
import net from 'node:net';
import Database from 'better-sqlite3';
import { expect } from 'vitest';
import { type HistoryEvent, sleep, until, type View } from './api.js';
import { type ServerProcess, startServer as startProcess } from './server-process.js';
import { toStoredCall, toStoredHistory, toStoredTimer } from './stored.js';

/**
 * The machine's timer rows of the jobs table. Its other jobs are no timers a call row lists: a
 * call's idle check, and jobs of no call (call_id '', such as retention).
 */
export const MACHINE_TIMERS = "name <> 'call.idle' AND call_id <> ''";

/** How long a server process may take to become ready: start-up is CPU-bound (tsx, imports)
 *  and this 2-core machine is often shared with other suites. */
export const START_TIMEOUT_MS = 90_000;

/** startServer with START_TIMEOUT_MS. */
export function startServer(env: Record<string, string>): Promise<ServerProcess> {
  return startProcess(env, { timeoutMs: START_TIMEOUT_MS });
}

// ---------------------------------------------------------------------------------------------
// What is stored, read behind the service's back.

export interface StoredCall {
  callId: string;
  version: number;
  status: string;
  /** The call row's own list of pending timers. */
  timers: { timerId: string; name: string; dueAt: number }[];
}

export interface StoredState {
  calls: StoredCall[];
  history: { callId: string; seq: number; eventId: string | null; type: string; source: string; at: number }[];
  timers: { callId: string; timerId: string; dueAt: number }[];
}

export interface StoreProbe {
  read(): Promise<StoredState>;
}

/** Reads a SQLite store file through its own read-only connection. */
export function sqliteProbe(databaseUrl: string): StoreProbe {
  const path = databaseUrl.replace(/^sqlite:/, '');
  return {
    async read() {
      const db = new Database(path, { readonly: true, fileMustExist: true });
      try {
        const calls = (
          db.prepare('SELECT call_id, version, status, timers FROM calls ORDER BY call_id').all() as Record<
            string,
            unknown
          >[]
        ).map((r) => toStoredCall(r, (column) => JSON.parse(column as string)));
        const history = (
          db
            .prepare('SELECT call_id, seq, event_id, type, source, at FROM history ORDER BY call_id, seq')
            .all() as Record<string, unknown>[]
        ).map(toStoredHistory);
        const timers = (
          db
            .prepare(`SELECT call_id, timer_id, due_at FROM jobs WHERE ${MACHINE_TIMERS} ORDER BY call_id, timer_id`)
            .all() as Record<string, unknown>[]
        ).map(toStoredTimer);
        return { calls, history, timers };
      } finally {
        db.close();
      }
    },
  };
}

/**
 * Nothing half-written: every call's history is 1..version with no gap, the timers table
 * holds exactly the timers each call row lists, and an ended call has none.
 */
export async function expectConsistentStore(probe: StoreProbe): Promise<StoredState> {
  const state = await probe.read();
  const seqs = new Map<string, number[]>();
  for (const h of state.history) seqs.set(h.callId, [...(seqs.get(h.callId) ?? []), h.seq]);
  for (const call of state.calls) {
    const got = seqs.get(call.callId) ?? [];
    expect(got, `history seqs of ${call.callId}`).toEqual(Array.from({ length: call.version }, (_, i) => i + 1));
    const rows = state.timers
      .filter((t) => t.callId === call.callId)
      .map((t) => `${t.timerId}@${t.dueAt}`)
      .sort();
    expect(rows, `timer rows of ${call.callId}`).toEqual(call.timers.map((t) => `${t.timerId}@${t.dueAt}`).sort());
    if (call.status === 'ended') expect(call.timers, `timers of ended ${call.callId}`).toEqual([]);
  }
  const known = new Set(state.calls.map((c) => c.callId));
  for (const h of state.history) expect(known.has(h.callId), `history of unknown call ${h.callId}`).toBe(true);
  for (const t of state.timers) expect(known.has(t.callId), `timer of unknown call ${t.callId}`).toBe(true);
  return state;
}

// ---------------------------------------------------------------------------------------------
// HTTP against a server process.

export interface Reply {
  status: number;
  body: unknown;
}

/** POST JSON on a fresh connection (no keep-alive pool shared between requests). */
export function request(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  options: { agent?: http.Agent; timeoutMs?: number } = {},
): Promise<Reply> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${base}${path}`,
      {
        method,
        agent: options.agent ?? false,
        headers: payload
          ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }
          : {},
        timeout: options.timeoutMs ?? 30_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // not JSON
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(payload);
  });
}

async function ok<T>(base: string, method: string, path: string, body?: unknown, status = 200): Promise<T> {
  const reply = await request(base, method, path, body);
  expect(reply.status, `${method} ${path}: ${JSON.stringify(reply.body)}`).toBe(status);
  return reply.body as T;
}

export const createCall = (base: string, callId: string, extra: Record<string, unknown> = {}) =>
  ok<View>(base, 'POST', '/v1/calls', { callId, ...extra }, 201);
export const postEvent = (base: string, callId: string, event: Record<string, unknown>) =>
  ok<View>(base, 'POST', `/v1/calls/${callId}/events`, event);
export const readView = (base: string, callId: string) => ok<View>(base, 'GET', `/v1/calls/${callId}`);
export const readHistory = async (base: string, callId: string) =>
  (await ok<{ events: HistoryEvent[] }>(base, 'GET', `/v1/calls/${callId}/history`)).events;

export interface ScenarioOptions {
  databaseUrl: string;
  /** Reads the store directly; without it only the API is checked. */
  probe?: StoreProbe;
  /** Extra environment for every server process. */
  env?: Record<string, string>;
  log?: (line: string) => void;
}

function serverEnv(options: ScenarioOptions, env: Record<string, string>) {
  return { DATABASE_URL: options.databaseUrl, ...options.env, ...env };
}

// ---------------------------------------------------------------------------------------------
// Restart: durable hold checks.

export interface RestartOutcome {
  holdCheckSeconds: number;
  /** When the restarted process answered /readyz. */
  readyAt: number;
  a: { dueAt: number; firedAt: number };
  b: { dueAt: number; firedAt: number };
}

class Inconclusive extends Error {}

/**
 * Call A goes on hold, call B later; the server is stopped (SIGTERM) so that A's check
 * comes due while it is down and B's does not. After the restart A's check fires at once
 * (within 300 ms of readiness), B's on time (not before its dueAt), each exactly once;
 * histories stay consecutive.
 *
 * The new process must become ready after A's due time and before B's, so the hold check has
 * to be longer than a restart: it is sized from a measured start-up (this machine may be
 * loaded), and the restart is launched so that a start-up of about the measured length lands
 * in the middle of that window. A run where the start-up still missed the window is
 * inconclusive and repeated once with a longer check.
 */
export async function restartScenario(options: ScenarioOptions): Promise<RestartOutcome> {
  const log = options.log ?? (() => {});
  const t0 = Date.now();
  const warm = await startServer(serverEnv(options, { HOLD_CHECK_SECONDS: '30' }));
  const startupMs = Date.now() - t0;
  const t1 = Date.now();
  expect(await warm.stop()).toBe(0);
  const stopMs = Date.now() - t1;
  const timing = { startupMs, stopMs };
  let seconds = Math.max(1, Math.ceil((1.5 * startupMs + 2 * stopMs + 1000) / 1000));
  for (let attempt = 1; ; attempt++) {
    try {
      log(`restart scenario: start-up ${startupMs} ms, stop ${stopMs} ms, HOLD_CHECK_SECONDS=${seconds}`);
      return await restartOnce(options, seconds, attempt, timing);
    } catch (error) {
      if (!(error instanceof Inconclusive) || attempt >= 2) throw error;
      log(`restart scenario inconclusive (${error.message}); again with a longer check`);
      seconds *= 2;
    }
  }
}

async function restartOnce(
  options: ScenarioOptions,
  seconds: number,
  attempt: number,
  timing: { startupMs: number; stopMs: number },
): Promise<RestartOutcome> {
  const H = seconds * 1000;
  const env = serverEnv(options, { HOLD_CHECK_SECONDS: String(seconds) });
  const a = `restart-a-${attempt}-${Date.now()}`;
  const b = `restart-b-${attempt}-${Date.now()}`;
  let server: ServerProcess | null = await startServer(env);
  try {
    await createCall(server.url, a, { customer: { firstName: 'Иван', patronymic: 'Петрович' } });
    await createCall(server.url, b);
    const heldA = await postEvent(server.url, a, { type: 'call.hold', id: 'hold' });
    const dueA = Date.parse(heldA.timers[0]?.dueAt ?? '');
    // B goes on hold as late as the stop (twice the measured one, more on a second attempt)
    // still ends before A's check is due.
    await sleep(Math.max(0, dueA - attempt * (2 * timing.stopMs + 500) - Date.now()));
    const heldB = await postEvent(server.url, b, { type: 'call.hold', id: 'hold' });
    const dueB = Date.parse(heldB.timers[0]?.dueAt ?? '');
    expect(dueB).toBeGreaterThan(dueA);
    expect(await server.stop()).toBe(0);
    const stoppedAt = Date.now();
    server = null;
    if (stoppedAt >= dueA - 20) throw new Inconclusive(`the stop ended ${stoppedAt - dueA} ms after A's check was due`);

    // Both timers are stored, nothing fired yet.
    if (options.probe) {
      const stored = await expectConsistentStore(options.probe);
      expect(
        stored.timers
          .filter((t) => t.callId === a || t.callId === b)
          .map((t) => t.dueAt)
          .sort(),
      ).toEqual([dueA, dueB]);
      expect(stored.history.filter((h) => (h.callId === a || h.callId === b) && h.type === 'hold.check')).toEqual([]);
    }

    // Up again, timed so that a start-up of the measured length ends half of one after A's
    // due time (and well before B's).
    await sleep(Math.max(0, dueA + 50 - timing.startupMs / 2 - Date.now()));
    const spawnedAt = Date.now();
    server = await startServer(env);
    const readyAt = Date.now();
    if (readyAt <= dueA + 100) throw new Inconclusive(`the restart was ready ${dueA - readyAt} ms before A's due time`);
    if (readyAt >= dueB - 50) throw new Inconclusive(`the restart took until ${readyAt - dueB} ms after B's due time`);

    // A: fired at once on start, in the new process.
    const historyA = await until(
      async () => {
        const h = await readHistory((server as ServerProcess).url, a);
        return h.some((e) => e.type === 'hold.check') ? h : null;
      },
      { timeoutMs: 5_000, message: "A's overdue check after the restart" },
    );
    const checkA = historyA.find((e) => e.type === 'hold.check') as HistoryEvent;
    const firedA = Date.parse(checkA.at);
    expect(checkA).toMatchObject({ source: 'timer', id: null, seq: 2 });
    expect(firedA, 'A fired in the new process').toBeGreaterThanOrEqual(spawnedAt);
    expect(firedA, 'A not before its dueAt').toBeGreaterThanOrEqual(dueA);
    expect(firedA - readyAt, 'A fired within 300 ms of readiness').toBeLessThanOrEqual(300);

    // B: not before its due time, and on time.
    const historyB = await until(
      async () => {
        const h = await readHistory((server as ServerProcess).url, b);
        return h.some((e) => e.type === 'hold.check') ? h : null;
      },
      { timeoutMs: dueB - Date.now() + 5_000, intervalMs: 25, message: "B's check on time" },
    );
    const checkB = historyB.find((e) => e.type === 'hold.check') as HistoryEvent;
    const firedB = Date.parse(checkB.at);
    expect(checkB).toMatchObject({ source: 'timer', id: null, seq: 2 });
    expect(firedB, 'B fired at or after its dueAt').toBeGreaterThanOrEqual(dueB);
    expect(firedB - dueB, 'B fired on time').toBeLessThanOrEqual(1_500);

    // Unhold both; by now A can have had at most one more check (its next one is due
    // H after its catch-up firing).
    const unheldAt = Date.now();
    await postEvent(server.url, a, { type: 'call.unhold', id: 'unhold' });
    await postEvent(server.url, b, { type: 'call.unhold', id: 'unhold' });
    await sleep(300);
    for (const [callId, firstCheck] of [
      [a, firedA],
      [b, firedB],
    ] as const) {
      const history = await readHistory(server.url, callId);
      const checks = history.filter((e) => e.type === 'hold.check');
      const allowed = 1 + Math.floor((unheldAt - firstCheck) / H);
      expect(checks.length, `hold checks of ${callId}`).toBeLessThanOrEqual(allowed);
      expect(checks.length).toBeGreaterThanOrEqual(1);
      for (let i = 1; i < checks.length; i++) {
        expect(Date.parse(checks[i]?.at ?? '') - Date.parse(checks[i - 1]?.at ?? '')).toBeGreaterThanOrEqual(H - 20);
      }
      expect(history.map((e) => e.seq)).toEqual(history.map((_, i) => i + 1));
      const view = await readView(server.url, callId);
      expect(view.version).toBe(history.length);
      expect(view.timers).toEqual([]);
    }
    if (options.probe) await expectConsistentStore(options.probe);
    expect(await server.stop()).toBe(0);
    server = null;
    return {
      holdCheckSeconds: seconds,
      readyAt,
      a: { dueAt: dueA, firedAt: firedA },
      b: { dueAt: dueB, firedAt: firedB },
    };
  } finally {
    await server?.kill();
  }
}

// ---------------------------------------------------------------------------------------------
// Crash: kill -9 in the middle of a burst.

/** The events each call of the crash burst goes through: valid in this order, with timers. */
export const CRASH_SEQUENCE: Record<string, unknown>[] = [
  { type: 'customer.identified', data: { firstName: 'Анна', patronymic: 'Сергеевна' } },
  { type: 'answer.given' },
  { type: 'call.hold' },
  { type: 'customer.speech' },
  { type: 'call.unhold' },
  { type: 'customer.repeat-request' },
  { type: 'customer.location-question' },
  { type: 'call.hold' },
  { type: 'call.unhold' },
  { type: 'customer.no-card' },
  { type: 'customer.contact-refused', data: { field: 'email' } },
  { type: 'call.hold' },
];

export interface CrashOutcome {
  acknowledged: number;
  unacknowledged: number;
  /** Un-acknowledged events that turned out to be stored (their retry replayed). */
  replayedOnRetry: number;
}

/**
 * `calls` calls each walk CRASH_SEQUENCE, one request at a time per call, all calls at once;
 * the server is killed with SIGKILL once `killAfter` events were acknowledged. After a
 * restart on the same store: every acknowledged event is in its call's history, histories are
 * consecutive, nothing is half-written, and retrying the rest applies each exactly once.
 */
export async function crashScenario(
  options: ScenarioOptions & { calls?: number; killAfter?: number },
): Promise<CrashOutcome> {
  const callCount = options.calls ?? 40;
  const total = callCount * CRASH_SEQUENCE.length;
  const killAfter = options.killAfter ?? Math.floor(total / 2);
  const env = serverEnv(options, { HOLD_CHECK_SECONDS: '600' });
  const prefix = `crash-${Date.now()}`;
  const callIds = Array.from({ length: callCount }, (_, i) => `${prefix}-${i}`);
  const eventId = (k: number) => `e-${k}`;

  let server: ServerProcess | null = await startServer(env);
  try {
    const base = server.url;
    for (const callId of callIds) await createCall(base, callId);

    const acked = new Map<string, Set<string>>(callIds.map((id) => [id, new Set()]));
    /** Per call: the first event not acknowledged (its fate unknown), or length if all were. */
    const nextIndex = new Map<string, number>(callIds.map((id) => [id, 0]));
    let acknowledged = 0;
    let killed = false;
    let killing: Promise<void> | null = null;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

    const walk = async (callId: string) => {
      for (let k = 0; k < CRASH_SEQUENCE.length; k++) {
        if (killed) return;
        let reply: Reply;
        try {
          reply = await request(
            base,
            'POST',
            `/v1/calls/${callId}/events`,
            { ...CRASH_SEQUENCE[k], id: eventId(k) },
            {
              agent,
              timeoutMs: 10_000,
            },
          );
        } catch {
          return; // the server is gone: this event's fate is unknown
        }
        if (reply.status < 200 || reply.status > 299) {
          // Before the kill every event of the sequence must be accepted.
          if (!killed) expect.fail(`${callId} ${eventId(k)}: ${reply.status} ${JSON.stringify(reply.body)}`);
          return;
        }
        acked.get(callId)?.add(eventId(k));
        nextIndex.set(callId, k + 1);
        acknowledged++;
        if (acknowledged >= killAfter && !killing) {
          killed = true;
          killing = (server as ServerProcess).kill();
        }
      }
    };
    await Promise.all(callIds.map(walk));
    agent.destroy();
    if (!killing) expect.fail(`the burst finished (${acknowledged} events) before the kill`);
    await killing;
    server = null;

    expect(acknowledged).toBeGreaterThanOrEqual(killAfter);
    expect(acknowledged).toBeLessThan(total);
    if (options.probe) await expectConsistentStore(options.probe);

    server = await startServer(env);
    const url = server.url;
    let unacknowledged = 0;
    let replayedOnRetry = 0;
    for (const callId of callIds) {
      const history = await readHistory(url, callId);
      const stored = history.map((e) => e.id);
      // Every acknowledged event is there, in order, consecutive.
      expect(history.map((e) => e.seq)).toEqual(history.map((_, i) => i + 1));
      for (const id of acked.get(callId) ?? []) expect(stored, `${callId} lost ${id}`).toContain(id);
      const acks = nextIndex.get(callId) ?? 0;
      expect(stored.slice(0, acks)).toEqual(Array.from({ length: acks }, (_, k) => eventId(k)));
      // At most the one in flight went further than the acknowledgements.
      expect(stored.length - acks).toBeGreaterThanOrEqual(0);
      expect(stored.length - acks).toBeLessThanOrEqual(1);
      expect((await readView(url, callId)).version).toBe(history.length);
      // An acknowledged event sent again after the restart is a replay of what was stored.
      if (acks > 0) {
        const again = await postEvent(url, callId, { ...CRASH_SEQUENCE[acks - 1], id: eventId(acks - 1) });
        expect(again).toMatchObject({ replayed: true, version: acks });
      }

      // Retry the rest, in order: the one whose fate was unknown replays or applies; the
      // ones never sent apply.
      for (let k = acks; k < CRASH_SEQUENCE.length; k++) {
        unacknowledged++;
        const view = await postEvent(url, callId, { ...CRASH_SEQUENCE[k], id: eventId(k) });
        if (view.replayed) {
          replayedOnRetry++;
          expect(k, `${callId} ${eventId(k)} replayed but was never sent`).toBe(acks);
        }
        expect(view.version).toBe(k + 1);
      }
      const final = await readHistory(url, callId);
      expect(final.map((e) => e.id)).toEqual(CRASH_SEQUENCE.map((_, k) => eventId(k)));
      expect(final.map((e) => e.seq)).toEqual(CRASH_SEQUENCE.map((_, k) => k + 1));
    }
    if (options.probe) {
      const state = await expectConsistentStore(options.probe);
      // Every call ends on hold: one pending hold check each.
      for (const callId of callIds) expect(state.timers.filter((t) => t.callId === callId)).toHaveLength(1);
    }
    expect(await server.stop()).toBe(0);
    server = null;
    return { acknowledged, unacknowledged, replayedOnRetry };
  } finally {
    await server?.kill();
  }
}

// ---------------------------------------------------------------------------------------------
// Graceful shutdown.

export interface ShutdownOutcome {
  inFlight: number;
  burstAnswered: number;
  burstRefused: number;
  exitCode: number | null;
  exitMs: number;
}

/**
 * Requests that are in flight when SIGTERM arrives (headers and half a body sent) finish with
 * 2xx after it and are stored; neither an open SSE stream nor an unused connection holds the
 * exit up; a burst sent
 * around the signal gets either a 2xx (then stored) or a refusal (503 or a connection
 * closed before its request was read; then not stored). The exit code is 0.
 */
export async function shutdownScenario(options: ScenarioOptions & { slow?: number }): Promise<ShutdownOutcome> {
  const slowCount = options.slow ?? 5;
  const env = serverEnv(options, { HOLD_CHECK_SECONDS: '600' });
  const prefix = `shutdown-${Date.now()}`;
  let server: ServerProcess | null = await startServer(env);
  try {
    const base = server.url;
    const slowCalls = Array.from({ length: slowCount }, (_, i) => `${prefix}-slow-${i}`);
    const burstCalls = Array.from({ length: 10 }, (_, i) => `${prefix}-burst-${i}`);
    for (const callId of [...slowCalls, ...burstCalls]) await createCall(base, callId);

    // An open stream.
    const stream = new AbortController();
    const streamRes = await fetch(`${base}/v1/calls/${slowCalls[0]}/stream`, { signal: stream.signal });
    expect(streamRes.status).toBe(200);
    const streamEnded = (async () => {
      try {
        for await (const _ of streamRes.body as unknown as AsyncIterable<Uint8Array>) {
          // drain
        }
      } catch {
        // aborted or reset
      }
    })();

    // In flight: headers and half the body are on the wire.
    const slow = slowCalls.map((callId) => {
      const payload = JSON.stringify({ type: 'customer.location-question', id: 'slow' });
      let finish: () => void = () => {};
      const answer = new Promise<Reply>((resolve, reject) => {
        const req = http.request(
          `${base}/v1/calls/${callId}/events`,
          {
            method: 'POST',
            agent: false,
            headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) },
          },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (d) => (text += d));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null }));
          },
        );
        req.on('error', reject);
        req.write(payload.slice(0, 12));
        finish = () => req.end(payload.slice(12));
      });
      return { callId, answer, finish: () => finish() };
    });
    // The server has read the headers of every slow request: a request sent after them was
    // answered (the same event loop reads sockets in order), plus a margin.
    await sleep(50);
    expect((await request(base, 'GET', '/healthz')).status).toBe(200);
    await sleep(150);

    // A connection opened but never used (a browser's preconnect; undici opens one after an
    // aborted fetch): it must not hold the exit up.
    const idle = net.connect(server.port, '127.0.0.1');
    idle.on('error', () => {});
    await new Promise((resolve) => idle.once('connect', resolve));

    // A burst around the signal.
    const burst = burstCalls.map((callId) =>
      request(base, 'POST', `/v1/calls/${callId}/events`, { type: 'customer.no-card', id: 'burst' }).then(
        (reply) => ({ callId, reply }),
        (error: Error) => ({ callId, reply: null, error }),
      ),
    );
    const signalledAt = Date.now();
    const exited = server.stop();
    await sleep(300);
    for (const s of slow) s.finish();

    const slowAnswers = await Promise.all(slow.map((s) => s.answer));
    for (const [i, a] of slowAnswers.entries()) {
      expect(a.status, `in-flight request ${i}: ${JSON.stringify(a.body)}`).toBe(200);
      expect((a.body as View).version).toBe(1);
    }
    const exitCode = await exited;
    const exitMs = Date.now() - signalledAt;
    expect(exitCode).toBe(0);
    expect(exitMs, 'exit soon after the last in-flight answer').toBeLessThan(8_000);
    await Promise.race([streamEnded, sleep(1_000)]);
    stream.abort();
    idle.destroy();
    server = null;

    const answers = await Promise.all(burst);
    server = await startServer(env);
    for (const callId of slowCalls) {
      const history = await readHistory(server.url, callId);
      expect(history.map((e) => [e.seq, e.id, e.type])).toEqual([[1, 'slow', 'customer.location-question']]);
    }
    let burstAnswered = 0;
    let burstRefused = 0;
    for (const { callId, reply } of answers) {
      const history = await readHistory(server.url, callId);
      if (reply && reply.status >= 200 && reply.status < 300) {
        burstAnswered++;
        expect(
          history.map((e) => e.id),
          `${callId} answered ${reply.status}`,
        ).toEqual(['burst']);
      } else {
        burstRefused++;
        if (reply) expect(reply.status, JSON.stringify(reply.body)).toBe(503);
        expect(history, `${callId} was refused but stored`).toEqual([]);
      }
    }
    if (options.probe) await expectConsistentStore(options.probe);
    expect(await server.stop()).toBe(0);
    server = null;
    return { inFlight: slowCount, burstAnswered, burstRefused, exitCode, exitMs };
  } finally {
    await server?.kill();
  }
}
