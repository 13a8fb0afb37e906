/**
 * SPEC §11 across nodes: two service processes on one PostgreSQL database. A script published
 * on one node reaches the other by its notification (channel callflow_script), new calls there
 * take it at once, and a call that was on hold on version 1 hears version 1's hold check
 * whichever node fires it, also after the node that holds it restarts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { TAILS } from '../api/texts.js';
import { V2_EN, V2_RU, withHoldCheck } from '../scripts/helpers.js';
import { until } from '../support/api.js';
import { beforeFirstTest } from '../support/hooks.js';
import { type TestDatabase, testDatabase } from '../support/postgres.js';
import { parseMetrics, sampleValue } from '../support/prometheus.js';
import { type ServerProcess, startServer } from '../support/server-process.js';

let db: TestDatabase;
let a: ServerProcess;
let b: ServerProcess;

async function request(base: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function must(base: string, method: string, path: string, body: unknown, status: number) {
  const answer = await request(base, method, path, body);
  expect(answer.status, `${method} ${path}: ${JSON.stringify(answer.body).slice(0, 500)}`).toBe(status);
  return answer.body;
}

type HistoryEvent = { type: string; prompts: { key: string; text: string }[] };

async function holdChecks(base: string, callId: string): Promise<string[]> {
  const { events } = (await must(base, 'GET', `/v1/calls/${callId}/history`, undefined, 200)) as unknown as {
    events: HistoryEvent[];
  };
  return events
    .filter((e) => e.type === 'hold.check')
    .map((e) => e.prompts.find((p) => p.key === 'hold.check')?.text ?? '');
}

const NAME = { firstName: 'Иван', patronymic: 'Петрович' };

describe('script versions on two nodes sharing PostgreSQL', () => {
  beforeFirstTest(async () => {
    db = await testDatabase('multinode_scripts');
    // Both start at once: their migrations and the seeding of version 1 race.
    const started = await Promise.all(
      [0, 1].map(() =>
        startServer({ DATABASE_URL: db.url, HOLD_CHECK_SECONDS: '1', LOG_LEVEL: 'warn' }, { timeoutMs: 90_000 }),
      ),
    );
    [a, b] = started as [ServerProcess, ServerProcess];
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a, b].map((n) => n?.kill()));
    await db?.drop();
  });

  it('one version 1 however many nodes start at once', async () => {
    for (const node of [a, b]) {
      const list = (await must(node.url, 'GET', '/v1/script/versions', undefined, 200)) as { versions: unknown[] };
      expect(list.versions).toHaveLength(1);
    }
  });

  it('a publish on one node: the other takes it for new calls; a call on hold keeps version 1 on both', async () => {
    const held = await must(b.url, 'POST', '/v1/calls', { callId: 'mn-script-held', customer: NAME }, 201);
    expect(held.scriptVersion).toBe(1);
    await must(b.url, 'POST', '/v1/calls/mn-script-held/events', { type: 'call.hold' }, 200);

    const published = await must(a.url, 'PUT', '/v1/script', withHoldCheck(V2_RU, V2_EN), 201);
    expect(published.version).toBe(2);
    const at = Date.now();

    // A node's current version moves only when the notification comes (GET /v1/script answers
    // from memory); polled on /metrics, a small answer, to time it.
    const versionOn = async (node: ServerProcess) =>
      sampleValue(parseMetrics(await (await fetch(`${node.url}/metrics`)).text()), 'callflow_script_version');
    await until(async () => (await versionOn(b)) === 2, {
      timeoutMs: 5_000,
      intervalMs: 2,
      message: 'node B never heard of version 2',
    });
    console.log(`script version 2 reached the other node in ${Date.now() - at} ms`);
    for (const node of [a, b]) {
      expect(await versionOn(node)).toBe(2);
      expect((await must(node.url, 'GET', '/v1/script', undefined, 200)).version).toBe(2);
    }

    const fresh = await must(b.url, 'POST', '/v1/calls', { callId: 'mn-script-fresh', customer: NAME }, 201);
    expect(fresh.scriptVersion).toBe(2);
    await must(b.url, 'POST', '/v1/calls/mn-script-fresh/events', { type: 'call.hold' }, 200);

    const v1Check = `Иван Петрович, ${TAILS['hold.check']}`;
    const v2Check = 'Иван Петрович, спасибо, что ждёте: я почти закончил';
    // Either node may fire either check (the job is claimed by whoever comes first).
    for (const [callId, text] of [
      ['mn-script-held', v1Check],
      ['mn-script-fresh', v2Check],
    ] as const) {
      const said = await until(
        async () => {
          const checks = await holdChecks(a.url, callId);
          return checks.length > 0 ? checks : null;
        },
        { timeoutMs: 10_000, message: `no hold check on ${callId}` },
      );
      for (const check of said) expect(check).toBe(text);
      for (const node of [a, b]) {
        const view = await must(node.url, 'GET', `/v1/calls/${callId}`, undefined, 200);
        expect(view.scriptVersion).toBe(callId === 'mn-script-held' ? 1 : 2);
        for (const check of await holdChecks(node.url, callId)) expect(check).toBe(text);
      }
    }
    // A call created on A after the publish, read on B, renders from version 2 on both.
    const onA = await must(a.url, 'POST', '/v1/calls', { callId: 'mn-script-a', customer: NAME }, 201);
    expect(onA.scriptVersion).toBe(2);
  });

  it('after a node restarts, the held call still hears version 1 and the other version 2', async () => {
    await b.stop();
    b = await startServer({ DATABASE_URL: db.url, HOLD_CHECK_SECONDS: '1', LOG_LEVEL: 'warn' }, { timeoutMs: 90_000 });
    expect((await must(b.url, 'GET', '/v1/script', undefined, 200)).version).toBe(2);
    for (const [callId, text] of [
      ['mn-script-held', `Иван Петрович, ${TAILS['hold.check']}`],
      ['mn-script-fresh', 'Иван Петрович, спасибо, что ждёте: я почти закончил'],
    ] as const) {
      const before = (await holdChecks(b.url, callId)).length;
      await must(b.url, 'POST', `/v1/calls/${callId}/events`, { type: 'call.unhold' }, 200);
      await must(b.url, 'POST', `/v1/calls/${callId}/events`, { type: 'call.hold' }, 200);
      const said = await until(
        async () => {
          const checks = await holdChecks(b.url, callId);
          return checks.length > before ? checks : null;
        },
        { timeoutMs: 10_000, message: `no hold check on ${callId} after the restart` },
      );
      for (const check of said) expect(check).toBe(text);
    }
  }, 120_000);

  it('two publishes at once on the two nodes: two versions, nothing lost', async () => {
    const one = withHoldCheck('И.О., минуту, пожалуйста', '{name}, one moment, please');
    const two = withHoldCheck('И.О., ещё немного, пожалуйста', '{name}, a little longer, please');
    const answers = await Promise.all([
      must(a.url, 'PUT', '/v1/script', one, 201),
      must(b.url, 'PUT', '/v1/script', two, 201),
    ]);
    expect(answers.map((x) => x.version).sort()).toEqual([3, 4]);
    for (const node of [a, b]) {
      const list = (await must(node.url, 'GET', '/v1/script/versions', undefined, 200)) as {
        current: number;
        versions: { version: number }[];
      };
      expect(list.current).toBe(4);
      expect(list.versions.map((v) => v.version)).toEqual([4, 3, 2, 1]);
    }
  });
});
