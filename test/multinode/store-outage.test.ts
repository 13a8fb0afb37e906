/**
 * SPEC §10, store faults, on PostgreSQL: the database is killed (-9) in the middle of a burst sent
 * to two service processes, and restarted on the same data directory. While it is down, events
 * answer 503 problem+json with Retry-After and /readyz answers 503; afterwards both nodes are ready
 * again by themselves, no acknowledged event is lost, a retry of a refused event (same id) is
 * applied once, no hold check fires twice, and the outage costs each node a few log lines.
 *
 * The test has a PostgreSQL of its own (the run's shared one serves other test files meanwhile).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { type HistoryEvent, sleep, until } from '../support/api.js';
import { beforeFirstTest } from '../support/hooks.js';
import { createDatabase, type OwnPostgres, startThrowawayPostgres } from '../support/postgres.js';
import { START_TIMEOUT_MS } from '../support/scenarios.js';
import { type ServerProcess, startServer } from '../support/server-process.js';

const HOLD_CHECK_MS = 500;
const CALLS = 24;
const EVENTS_PER_CALL = 40;
const HELD = 8;

let pg: OwnPostgres;
let nodes: ServerProcess[] = [];

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

async function send(base: string, method: string, path: string, body?: unknown): Promise<Answer> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

const readiness = async (node: ServerProcess) => (await fetch(`${node.url}/readyz`)).status;

async function historyOf(base: string, callId: string): Promise<HistoryEvent[]> {
  const answer = await send(base, 'GET', `/v1/calls/${callId}/history`);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body.events as HistoryEvent[];
}

/** The log lines a node wrote after `from` (an offset in its output), request lines left out. */
function logLines(node: ServerProcess, from: number): Record<string, unknown>[] {
  return node
    .output()
    .slice(from)
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        return { msg: line, raw: true };
      }
    })
    .filter((entry) => entry.msg !== 'request');
}

describe('PostgreSQL killed mid-burst under two nodes, restarted on the same data directory', () => {
  beforeFirstTest(async () => {
    // Durable: with synchronous_commit off, a kill -9 loses the last commits PostgreSQL had
    // already acknowledged, and the test would blame the service for it.
    pg = await startThrowawayPostgres({ durable: true });
    const db = await createDatabase(pg.url, 'outage');
    nodes = await Promise.all(
      [0, 1].map(() =>
        startServer(
          { DATABASE_URL: db.url, HOLD_CHECK_SECONDS: String(HOLD_CHECK_MS / 1000), LOG_LEVEL: 'info' },
          { timeoutMs: START_TIMEOUT_MS },
        ),
      ),
    );
  }, 180_000);

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.kill()));
    await pg?.stop();
  });

  it('503 with Retry-After and /readyz 503 while down; then both ready, nothing lost or doubled, a quiet log', async () => {
    const node = (i: number) => nodes[i % nodes.length]!;
    const ids = Array.from({ length: CALLS }, (_, i) => `burst-${i}`);
    const held = Array.from({ length: HELD }, (_, i) => `held-${i}`);
    for (const [i, callId] of [...ids, ...held].entries()) {
      expect((await send(node(i).url, 'POST', '/v1/calls', { callId })).status).toBe(201);
    }
    // Hold checks armed before the fault (every 0.5 s, claimed by either node).
    for (const [i, callId] of held.entries()) {
      expect((await send(node(i + 1).url, 'POST', `/v1/calls/${callId}/events`, { type: 'call.hold' })).status).toBe(
        200,
      );
    }

    const acknowledged = new Map<string, Set<string>>(ids.map((id) => [id, new Set()]));
    const refusals: Answer[] = [];
    const unexpected: string[] = [];
    let down = false;
    let refusedWhileDown = 0;
    // Each call's events in order, round-robin over the nodes; a refused one is sent again with the
    // same id after Retry-After's hint (shortened here), as telephony middleware does.
    const burst = Promise.all(
      ids.map(async (callId, i) => {
        for (let k = 0; k < EVENTS_PER_CALL; k++) {
          const event = { type: 'customer.identified', id: `e-${k}`, data: { firstName: `N${k}` } };
          for (let attempt = 0; ; attempt++) {
            const answer = await send(node(i + k + attempt).url, 'POST', `/v1/calls/${callId}/events`, event);
            if (answer.status === 200) {
              acknowledged.get(callId)!.add(event.id);
              break;
            }
            if (answer.status === 503 || answer.status === 507) {
              refusals.push(answer);
              if (down) refusedWhileDown++;
              await sleep(100);
              continue;
            }
            unexpected.push(`${answer.status} ${JSON.stringify(answer.body)}`);
            break;
          }
          await sleep(5);
        }
      }),
    );

    await sleep(1_000);
    const logFrom = nodes.map((n) => n.output().length);
    const ackedBeforeKill = [...acknowledged.values()].reduce((n, s) => n + s.size, 0);
    await pg.kill();
    down = true;
    const killedAt = Date.now();
    // Readiness follows the store on both nodes.
    await until(async () => (await Promise.all(nodes.map(readiness))).every((s) => s === 503), {
      timeoutMs: 10_000,
      message: 'both nodes answering /readyz 503',
    });
    const notReadyAfterMs = Date.now() - killedAt;
    await sleep(3_000);
    expect(refusedWhileDown).toBeGreaterThan(0);
    for (const n of nodes) expect(await readiness(n)).toBe(503);

    down = false;
    await pg.start();
    const restartedAt = Date.now();
    await until(async () => (await Promise.all(nodes.map(readiness))).every((s) => s === 200), {
      timeoutMs: 20_000,
      intervalMs: 50,
      message: 'both nodes ready within 20 s of the restart',
    });
    const readyAfterMs = Date.now() - restartedAt;
    await burst;
    expect(unexpected).toEqual([]);

    // Every refusal was a store fault, as problem+json with Retry-After: never an "unexpected" 500.
    expect(refusals.length).toBeGreaterThan(0);
    for (const r of refusals) {
      expect(r.status).toBe(503);
      expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(r.body).toMatchObject({ type: 'https://callflow.dev/problems/store-unavailable', status: 503 });
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    }

    // Nothing acknowledged lost, every event applied exactly once, versions gap-free.
    for (const [i, callId] of ids.entries()) {
      const history = await historyOf(node(i + 1).url, callId);
      expect(history.map((e) => e.seq)).toEqual(Array.from({ length: history.length }, (_, s) => s + 1));
      const stored = new Set(history.map((e) => e.id));
      for (const id of acknowledged.get(callId)!) expect(stored.has(id), `${callId} ${id} acknowledged`).toBe(true);
      expect(history.map((e) => e.id)).toEqual(Array.from({ length: EVENTS_PER_CALL }, (_, k) => `e-${k}`));
    }

    // Hold checks: none fired twice (each a full period after the entry before it), and they
    // fire again after the outage.
    await sleep(3 * HOLD_CHECK_MS);
    for (const [i, callId] of held.entries()) {
      expect((await send(node(i).url, 'POST', `/v1/calls/${callId}/events`, { type: 'call.unhold' })).status).toBe(200);
      const history = await historyOf(node(i + 1).url, callId);
      expect(history.map((e) => e.seq)).toEqual(Array.from({ length: history.length }, (_, s) => s + 1));
      for (let k = 1; k < history.length; k++) {
        if (history[k]!.type !== 'hold.check') continue;
        const gap = Date.parse(history[k]!.at) - Date.parse(history[k - 1]!.at);
        expect(gap, `${callId} seq ${history[k]!.seq}`).toBeGreaterThanOrEqual(HOLD_CHECK_MS);
      }
      const checksAfter = history.filter((e) => e.type === 'hold.check' && Date.parse(e.at) > restartedAt);
      expect(checksAfter.length, `${callId}: checks after the restart`).toBeGreaterThan(0);
    }

    // The log: one warning when the outage started and one line when it ended, per node.
    const lines = nodes.map((n, k) => logLines(n, logFrom[k]!));
    for (const nodeLines of lines) {
      const warnings = nodeLines.filter((l) => l.level === 40);
      expect(warnings, JSON.stringify(nodeLines)).toHaveLength(1);
      expect(warnings[0]?.storeFault).toBeTypeOf('string');
      expect(
        nodeLines.filter((l) => l.level === 50 || l.raw),
        JSON.stringify(nodeLines),
      ).toEqual([]);
      const ended = nodeLines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('store available again'));
      expect(ended, JSON.stringify(nodeLines)).toHaveLength(1);
      expect(nodeLines.length, JSON.stringify(nodeLines)).toBeLessThanOrEqual(4);
    }
    console.log(
      `store outage: ${ackedBeforeKill} events acknowledged before the kill, ${refusals.length} refusals (503), ` +
        `both nodes not ready ${notReadyAfterMs} ms after the kill and ready ${readyAfterMs} ms after the restart; ` +
        `log lines (requests aside) per node: ${lines.map((l) => l.length).join(', ')}: ` +
        lines.map((l) => l.map((e) => e.msg).join(' | ')).join(' || '),
    );
  }, 120_000);
});
