/**
 * SPEC §7 on several nodes sharing a real PostgreSQL: real server processes, a receiver that
 * verifies every delivery with the reference `standardwebhooks` library.
 * - Two nodes take a script's events round-robin: every message arrives exactly once (each was
 *   attempted by one node: the nodes' attempt counts add up to the messages), in version order
 *   per call.
 * - Crash: a node is killed with SIGKILL in the middle of a burst while the receiver hangs. A
 *   node started afterwards takes its deliveries over once their lease runs out: every message
 *   of every acknowledged change arrives, every message that arrives belongs to a change that
 *   was written, and a message arrives twice only if it was in flight when the node died.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { sleep, until, type View } from '../support/api.js';
import { beforeFirstTest } from '../support/hooks.js';
import { type TestDatabase, testDatabase } from '../support/postgres.js';
import { type ServerProcess, startServer } from '../support/server-process.js';
import { type Received, type Receiver, startReceiver } from '../support/webhook-receiver.js';

const TIMEOUT_SECONDS = 1;

let db: TestDatabase;
let receiver: Receiver;
const nodes: ServerProcess[] = [];

const env = () => ({
  DATABASE_URL: db.url,
  WEBHOOK_ALLOW_PRIVATE: 'true',
  WEBHOOK_TIMEOUT_SECONDS: String(TIMEOUT_SECONDS),
  WEBHOOK_RETRY_SCHEDULE: '0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2',
  HOLD_CHECK_SECONDS: '600',
});

async function send(base: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const keyOf = (d: Received) => {
  const call = d.message.data.call as View;
  return `${call.callId}#${call.version}#${d.message.type}`;
};

/** What the store says was written: one call.created, one call.updated per history entry. */
async function writtenMessages(base: string, callIds: string[]): Promise<Set<string>> {
  const keys = new Set<string>();
  for (const callId of callIds) {
    const res = await fetch(`${base}/v1/calls/${callId}/history`);
    if (res.status === 404) continue; // its create was never acknowledged nor written
    expect(res.status).toBe(200);
    keys.add(`${callId}#0#call.created`);
    const { events } = (await res.json()) as { events: { seq: number }[] };
    for (const e of events) keys.add(`${callId}#${e.seq}#call.updated`);
  }
  return keys;
}

async function attemptsOn(node: ServerProcess): Promise<number> {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  let total = 0;
  for (const m of text.matchAll(/^callflow_webhook_attempts_total\{[^}]*outcome="delivered"[^}]*\} (\d+)$/gm)) {
    total += Number(m[1]);
  }
  return total;
}

describe('webhooks on several nodes sharing PostgreSQL', () => {
  beforeFirstTest(async () => {
    db = await testDatabase('webhooks_multinode');
    receiver = await startReceiver();
    nodes.push(await startServer(env()), await startServer(env()));
    const created = await send(nodes[0]!.url, 'POST', '/v1/webhooks', {
      url: receiver.url,
      types: ['call.created', 'call.updated'],
    });
    expect(created.status).toBe(201);
    receiver.setSecret(String(created.body.secret));
    // The other node hears of the endpoint by notification.
    await until(
      async () => ((await send(nodes[1]!.url, 'GET', '/v1/webhooks')).body.webhooks as unknown[]).length === 1,
    );
  }, 120_000);
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.kill()));
    await receiver?.close();
    await db?.drop();
  });

  it('two nodes: each message is delivered once, by one node, in version order per call', async () => {
    const ids = Array.from({ length: 8 }, (_, i) => `two-${i}`);
    let k = 0;
    const node = () => nodes[k++ % 2]!.url;
    for (const callId of ids) expect((await send(node(), 'POST', '/v1/calls', { callId })).status).toBe(201);
    for (const type of ['customer.prank', 'customer.no-card', 'customer.location-question']) {
      await Promise.all(
        ids.map(async (callId) =>
          expect((await send(node(), 'POST', `/v1/calls/${callId}/events`, { type })).status).toBe(200),
        ),
      );
    }
    const expected = await writtenMessages(nodes[0]!.url, ids);
    expect(expected.size).toBe(ids.length * 4);
    const ours = () => receiver.received.filter((d) => ids.includes((d.message.data.call as View).callId));
    await until(() => ours().length >= expected.size, { timeoutMs: 20_000, message: 'every message' });
    await until(async () => (await attemptsOn(nodes[0]!)) + (await attemptsOn(nodes[1]!)) >= expected.size, {
      timeoutMs: 5_000,
    });
    expect(receiver.unverified).toEqual([]);
    const got = ours();
    expect(got).toHaveLength(expected.size);
    expect(new Set(got.map((d) => d.id)).size).toBe(got.length);
    expect(new Set(got.map(keyOf))).toEqual(expected);
    for (const callId of ids) {
      const versions = got
        .filter((d) => (d.message.data.call as View).callId === callId)
        .map((d) => (d.message.data.call as View).version);
      expect(versions).toEqual([0, 1, 2, 3]);
    }
    // Each message was attempted once, by one of the two.
    expect((await attemptsOn(nodes[0]!)) + (await attemptsOn(nodes[1]!))).toBe(expected.size);
  }, 60_000);

  it('a node killed mid-burst with a hanging receiver: another node takes its deliveries over', async () => {
    // One node only, so the one killed is the one holding the deliveries.
    const survivor = nodes.shift() as ServerProcess;
    await survivor.stop();
    const victim = nodes[0] as ServerProcess;
    receiver.answer(() => ({ hang: true }));
    const ids = Array.from({ length: 10 }, (_, i) => `crash-${i}`);
    const acknowledged = new Set<string>();
    const inFlightAtKill = new Set<string>();
    const burst = ids.map(async (callId) => {
      try {
        const created = await send(victim.url, 'POST', '/v1/calls', { callId });
        if (created.status !== 201) return;
        acknowledged.add(`${callId}#0#call.created`);
        for (const type of ['customer.prank', 'customer.no-card', 'customer.location-question', 'customer.prank']) {
          const res = await send(victim.url, 'POST', `/v1/calls/${callId}/events`, { type });
          if (res.status !== 200) return;
          acknowledged.add(`${callId}#${(res.body as unknown as View).version}#call.updated`);
        }
      } catch {
        // the node died under this request: not acknowledged
      }
    });
    await until(() => acknowledged.size >= 15 && receiver.received.length > 0, {
      timeoutMs: 10_000,
      message: 'a burst under way',
    });
    await victim.kill();
    await Promise.all(burst);
    // No node is up now: whatever has arrived by now, the dead node sent (a request it had
    // written just before it died is read a moment later).
    await sleep(300);
    for (const d of receiver.received) inFlightAtKill.add(d.id);
    const before = receiver.received.length;
    expect(acknowledged.size).toBeGreaterThanOrEqual(15);

    receiver.answer(() => ({ status: 200 }));
    const heir = await startServer(env());
    nodes.push(heir);
    const written = await writtenMessages(heir.url, ids);
    for (const key of acknowledged) expect(written.has(key), key).toBe(true);
    const ours = () =>
      receiver.received.slice(before).filter((d) => ids.includes((d.message.data.call as View).callId));
    await until(() => new Set(ours().map(keyOf)).size >= written.size, {
      timeoutMs: 40_000,
      message: "the killed node's messages, delivered by the heir",
    });
    expect(receiver.unverified).toEqual([]);
    const got = ours();
    // Exactly what was written arrived, no more (nothing of an unacknowledged, unwritten change).
    expect(new Set(got.map(keyOf))).toEqual(written);
    // One id per message; a message came twice only if the dead node had it on the wire.
    const byId = new Map<string, number>();
    for (const d of got) byId.set(d.id, (byId.get(d.id) ?? 0) + 1);
    for (const [id, count] of byId) if (count > 1) expect(inFlightAtKill.has(id), id).toBe(true);
    // The heir delivered what the victim had left.
    // (its counter moves once the attempt's record is written, just after the answer)
    await until(async () => (await attemptsOn(heir)) >= written.size - inFlightAtKill.size, {
      message: 'the heir counted its deliveries',
    });
  }, 120_000);
});
