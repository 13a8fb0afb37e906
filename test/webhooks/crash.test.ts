/**
 * SPEC §7, crash on SQLite (the default store): the real server is killed with SIGKILL in the
 * middle of a burst while the receiver hangs. Restarted on the same file, it delivers every
 * message of every acknowledged change, nothing of a change that was not written, and a message
 * twice only if the dead process had it on the wire.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sleep, until, type View } from '../support/api.js';
import { type ServerProcess, startServer } from '../support/server-process.js';
import { type Received, startReceiver } from '../support/webhook-receiver.js';

const dir = mkdtempSync(join(tmpdir(), 'callflow-webhook-crash-'));
const processes: ServerProcess[] = [];
afterAll(async () => {
  await Promise.all(processes.map((p) => p.kill()));
  rmSync(dir, { recursive: true, force: true });
});

const env = {
  DATABASE_URL: `sqlite:${join(dir, 'callflow.db')}`,
  WEBHOOK_ALLOW_PRIVATE: 'true',
  WEBHOOK_TIMEOUT_SECONDS: '1',
  WEBHOOK_RETRY_SCHEDULE: Array.from({ length: 20 }, () => '0.2').join(','),
  HOLD_CHECK_SECONDS: '600',
};

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

describe('webhooks across kill -9 on SQLite', () => {
  it('after a restart, every acknowledged change is delivered and nothing unwritten', async () => {
    const receiver = await startReceiver();
    try {
      const victim = await startServer(env);
      processes.push(victim);
      const created = await send(victim.url, 'POST', '/v1/webhooks', {
        url: receiver.url,
        types: ['call.created', 'call.updated'],
      });
      expect(created.status).toBe(201);
      receiver.setSecret(String(created.body.secret));
      receiver.answer(() => ({ hang: true }));

      const ids = Array.from({ length: 10 }, (_, i) => `sqlite-crash-${i}`);
      const acknowledged = new Set<string>();
      const burst = ids.map(async (callId) => {
        try {
          if ((await send(victim.url, 'POST', '/v1/calls', { callId })).status !== 201) return;
          acknowledged.add(`${callId}#0#call.created`);
          for (const type of ['customer.prank', 'customer.no-card', 'customer.location-question', 'customer.prank']) {
            const res = await send(victim.url, 'POST', `/v1/calls/${callId}/events`, { type });
            if (res.status !== 200) return;
            acknowledged.add(`${callId}#${(res.body as unknown as View).version}#call.updated`);
          }
        } catch {
          // the process died under this request: not acknowledged
        }
      });
      // Killed once attempts have timed out and been retried (their messages must go again).
      const retried = () => new Set(receiver.received.map((d) => d.id)).size < receiver.received.length;
      await until(() => acknowledged.size >= 15 && retried(), {
        timeoutMs: 15_000,
        message: 'a burst under way, with retries',
      });
      await victim.kill();
      await Promise.all(burst);
      await sleep(300);
      const onTheWire = new Set(receiver.received.map((d) => d.id));
      const before = receiver.received.length;

      receiver.answer(() => ({ status: 200 }));
      const restarted = await startServer(env);
      processes.push(restarted);
      const written = new Set<string>();
      for (const callId of ids) {
        const res = await fetch(`${restarted.url}/v1/calls/${callId}/history`);
        if (res.status === 404) continue;
        written.add(`${callId}#0#call.created`);
        for (const e of ((await res.json()) as { events: { seq: number }[] }).events) {
          written.add(`${callId}#${e.seq}#call.updated`);
        }
      }
      for (const key of acknowledged) expect(written.has(key), key).toBe(true);
      const sinceRestart = () => receiver.received.slice(before);
      // The SQLite store frees every lease when it opens (one process owns the file).
      await until(() => new Set(sinceRestart().map(keyOf)).size >= written.size, {
        timeoutMs: 60_000,
        message: 'every written message after the restart',
      });
      expect(receiver.unverified).toEqual([]);
      const everything = new Set(receiver.received.map(keyOf));
      expect(everything).toEqual(written);
      const seen = new Map<string, number>();
      for (const d of sinceRestart()) seen.set(d.id, (seen.get(d.id) ?? 0) + 1);
      for (const [id, count] of seen) expect(count === 1 || onTheWire.has(id), id).toBe(true);
      // The last answers' records are written just after the answers: wait for them.
      const deliveries = await until(async () => {
        const log = await send(restarted.url, 'GET', `/v1/webhooks/${String(created.body.id)}/deliveries?limit=200`);
        const list = log.body.deliveries as { status: string }[];
        return list.every((d) => d.status === 'delivered') && list;
      });
      expect(deliveries).toHaveLength(written.size);
    } finally {
      await receiver.close();
    }
  }, 120_000);
});
