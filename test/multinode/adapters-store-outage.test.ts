/**
 * SPEC §9 with SPEC §10's store faults: PostgreSQL is killed (-9) while calls are on hold and
 * restarted on the same data directory. A PBX does not resend what it said while nobody listened,
 * so the node keeps its PBX connections through the outage (its leader lock's session broke, but
 * nobody else could take the lock), holds what the PBX says meanwhile, and applies it, in order
 * and once, when the store is back.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { type HistoryEvent, sleep, until } from '../support/api.js';
import { FakeAri } from '../support/fake-ari.js';
import { FakeFreeswitch } from '../support/fake-freeswitch.js';
import { beforeFirstTest } from '../support/hooks.js';
import { createDatabase, type OwnPostgres, startThrowawayPostgres } from '../support/postgres.js';
import { START_TIMEOUT_MS } from '../support/scenarios.js';
import { type ServerProcess, startServer } from '../support/server-process.js';

let pg: OwnPostgres;
let ari: FakeAri;
let fs: FakeFreeswitch;
let node: ServerProcess;

const readiness = async () => (await fetch(`${node.url}/readyz`)).status;

async function historyOf(callId: string): Promise<HistoryEvent[] | null> {
  const res = await fetch(`${node.url}/v1/calls/${callId}/history`);
  return res.status === 200 ? ((await res.json()) as { events: HistoryEvent[] }).events : null;
}

const untilApi = (callId: string, types: string[], message: string) =>
  until(
    async () => {
      const events = await historyOf(callId);
      const api = events?.filter((e) => e.source === 'api').map((e) => e.type);
      return api && api.length >= types.length ? api : null;
    },
    { message, timeoutMs: 30_000 },
  );

beforeFirstTest(async () => {
  // Durable, so that what PostgreSQL acknowledged before the kill is still there after it.
  pg = await startThrowawayPostgres({ durable: true });
  const db = await createDatabase(pg.url, 'adapters_outage');
  ari = await FakeAri.start({ username: 'u', password: 'p' });
  fs = await FakeFreeswitch.start({ password: 'pw' });
  node = await startServer(
    {
      DATABASE_URL: db.url,
      ARI_URL: ari.url,
      ARI_USERNAME: 'u',
      ARI_PASSWORD: 'p',
      FREESWITCH_ESL: fs.address,
      FREESWITCH_PASSWORD: 'pw',
      LOG_LEVEL: 'info',
    },
    { timeoutMs: START_TIMEOUT_MS },
  );
  await Promise.all([ari.waitForConnections(1), fs.waitForSubscribed(1)]);
}, 180_000);

afterAll(async () => {
  await node?.kill();
  await ari?.close();
  await fs?.close();
  await pg?.stop();
});

describe('PostgreSQL killed under a node holding both PBX connections', () => {
  it('the connections stay up, what the PBX says meanwhile is applied once the store is back, in order and once', async () => {
    const customer = ari.channel('1732570000.1');
    ari.send(ari.stasisStart(customer), ari.hold(customer));
    const leg = fs.inboundLeg();
    fs.send(fs.answer(leg), fs.hold(leg));
    await untilApi(customer.id, ['call.hold'], 'ARI hold before the fault');
    await untilApi(leg.uuid, ['call.hold'], 'FreeSWITCH hold before the fault');

    await pg.kill();
    await until(async () => (await readiness()) === 503, { message: '/readyz 503 while the store is down' });
    const unhold = ari.unhold(customer);
    ari.send(unhold);
    fs.send(fs.unhold(leg));
    // Past the leader session's ping timeout: the lock's session is broken by now.
    await sleep(4_000);
    expect([ari.connections.length, ari.openCount()]).toEqual([1, 1]);
    expect([fs.connections.length, fs.openCount()]).toEqual([1, 1]);

    await pg.start();
    await until(async () => (await readiness()) === 200, { timeoutMs: 20_000, message: 'ready again' });
    // The unhold said during the outage, and a redelivery of it afterwards: applied once.
    ari.send(unhold, ari.hangupRequest(customer, 16));
    fs.send(fs.hangupComplete(leg));
    expect(await untilApi(customer.id, ['call.hold', 'call.unhold', 'call.hangup'], 'ARI call ended')).toEqual([
      'call.hold',
      'call.unhold',
      'call.hangup',
    ]);
    expect(await untilApi(leg.uuid, ['call.hold', 'call.unhold', 'call.hangup'], 'FreeSWITCH call ended')).toEqual([
      'call.hold',
      'call.unhold',
      'call.hangup',
    ]);

    // Still the one connection each, and the node leads again (it won its lock back).
    expect([ari.connections.length, fs.connections.length]).toEqual([1, 1]);
    const adapters = ((await (await fetch(`${node.url}/readyz`)).json()) as { adapters: Record<string, unknown> })
      .adapters;
    expect(adapters).toMatchObject({
      asterisk: { leader: true, state: 'connected' },
      freeswitch: { leader: true, state: 'connected' },
    });
    await until(() => node.output().includes('leader lock won back'), {
      message: 'the lock won back',
      timeoutMs: 10_000,
    });
  }, 120_000);
});
