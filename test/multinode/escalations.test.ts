/**
 * SPEC §8 on several nodes: two service processes on one PostgreSQL database. An escalation
 * raised or moved on one node reaches the other node's stream (the change log's trigger notifies;
 * the stream reads the log), in the log's order, with resume by Last-Event-ID; escalations raised
 * on both nodes at once are numbered in commit order, so a stream that resumes never skips one.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { postJson, SseReader, uniqueId } from '../support/api.js';
import { beforeFirstTest } from '../support/hooks.js';
import { type TestDatabase, testDatabase } from '../support/postgres.js';
import { type ServerProcess, startServer } from '../support/server-process.js';

let db: TestDatabase;
let nodes: ServerProcess[] = [];
const readers: SseReader[] = [];

interface Escalation {
  id: string;
  callId: string;
  topic: string;
  status: string;
}

const escalationsOf = (r: SseReader) =>
  r.messages
    .filter((m) => m.event === 'escalation')
    .map((m) => ({ ...(JSON.parse(m.data) as Escalation), seq: Number(m.id) }));

async function open(node: ServerProcess, headers: Record<string, string> = {}) {
  const reader = await SseReader.open(`${node.url}/v1/escalations/stream`, headers);
  readers.push(reader);
  expect(reader.status).toBe(200);
  return reader;
}

async function raise(node: ServerProcess, topic: string): Promise<string> {
  const callId = uniqueId('mn-esc');
  expect((await postJson(node.url, '/v1/calls', { callId, operatorId: 'op.mn' })).status).toBe(201);
  const res = await postJson(node.url, `/v1/calls/${callId}/events`, {
    type: 'customer.unknown-topic',
    data: { topic },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { actions: { id: string }[] }).actions[0]!.id;
}

describe('escalations across two nodes on PostgreSQL', () => {
  beforeFirstTest(async () => {
    db = await testDatabase('multinode_escalations');
    nodes = await Promise.all(
      [0, 1].map(() => startServer({ DATABASE_URL: db.url, LOG_LEVEL: 'warn' }, { timeoutMs: 90_000 })),
    );
  }, 120_000);

  afterAll(async () => {
    for (const r of readers) r.close();
    await Promise.all(nodes.map((n) => n.kill()));
    await db?.drop();
  });

  it("a change made on one node is seen on the other node's stream, and resumes there", async () => {
    const [a, b] = nodes as [ServerProcess, ServerProcess];
    const onA = await open(a);
    await onA.waitFor((r) => r.messages.some((m) => m.event === 'ready'), 5_000, 'ready on a');

    const id = await raise(b, 'с узла b');
    await onA.waitFor((r) => escalationsOf(r).length >= 1, 5_000, 'the creation made on b');
    expect(escalationsOf(onA)[0]).toMatchObject({ id, topic: 'с узла b', status: 'open' });

    expect((await postJson(b.url, `/v1/escalations/${id}/acknowledge`, { by: 'sup.b' })).status).toBe(200);
    await onA.waitFor((r) => escalationsOf(r).length >= 2, 5_000, 'the acknowledgement made on b');
    const onB = await open(b, { 'last-event-id': String(escalationsOf(onA)[0]!.seq) });
    expect((await postJson(a.url, `/v1/escalations/${id}/resolve`, { by: 'sup.a', resolution: 'готово' })).status).toBe(
      200,
    );
    // b resumes after the creation: the acknowledgement (made on b), then the resolve made on a.
    await onB.waitFor((r) => escalationsOf(r).length >= 2, 5_000, 'the resolve made on a');
    expect(escalationsOf(onB).map((e) => e.status)).toEqual(['acknowledged', 'resolved']);
    await onA.waitFor((r) => escalationsOf(r).length >= 3, 5_000, 'the resolve on a');
    // Both streams tell one history: a's from the start, b's from where it resumed.
    const created = escalationsOf(onA)[0]!;
    expect(escalationsOf(onA).map((e) => [e.seq, e.status])).toEqual([
      [created.seq, 'open'],
      ...escalationsOf(onB).map((e) => [e.seq, e.status]),
    ]);

    // The other node's reads agree.
    const read = await fetch(`${a.url}/v1/escalations/${id}`);
    expect(await read.json()).toMatchObject({ status: 'resolved', acknowledgedBy: 'sup.b', resolvedBy: 'sup.a' });
  });

  it('raised on both nodes at once: one order, increasing, the same on both streams, none missed', async () => {
    const [a, b] = nodes as [ServerProcess, ServerProcess];
    const onA = await open(a);
    const onB = await open(b);
    for (const r of [onA, onB]) await r.waitFor((x) => x.messages.some((m) => m.event === 'ready'), 5_000, 'ready');
    const count = 30;
    const ids = await Promise.all(Array.from({ length: count }, (_, i) => raise(i % 2 ? a : b, `тема ${i}`)));
    for (const r of [onA, onB]) await r.waitFor((x) => escalationsOf(x).length >= count, 15_000, `${count} changes`);
    const seenA = escalationsOf(onA);
    const seenB = escalationsOf(onB);
    expect(new Set(seenA.map((e) => e.id))).toEqual(new Set(ids));
    expect(seenA.map((e) => [e.seq, e.id])).toEqual(seenB.map((e) => [e.seq, e.id]));
    const seqs = seenA.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(new Set(seqs).size).toBe(count);
    // A stream resumed from the head before the burst gets the same changes again, in the same order.
    const from = Number(onA.messages.find((m) => m.event === 'ready')?.id);
    const resumed = await open(b, { 'last-event-id': String(from) });
    await resumed.waitFor((x) => escalationsOf(x).length >= count, 10_000, 'the replay');
    expect(escalationsOf(resumed).map((e) => e.seq)).toEqual(seqs);
  }, 60_000);
});
