/**
 * SPEC §9, several nodes: one process at a time holds each PBX connection (a PostgreSQL session
 * advisory lock, src/adapters/leadership.ts), and when the holder dies (kill -9: its database
 * session ends with its socket) another node connects within 10 s and the call goes on.
 * Two real server processes share a fresh database and point at the same fake Asterisk and
 * fake FreeSWITCH (test/support/fake-ari.ts, fake-freeswitch.ts).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { type HistoryEvent, sleep, until } from '../support/api.js';
import { FakeAri } from '../support/fake-ari.js';
import { FakeFreeswitch } from '../support/fake-freeswitch.js';
import { beforeFirstTest } from '../support/hooks.js';
import { type TestDatabase, testDatabase } from '../support/postgres.js';
import { type ServerProcess, startServer } from '../support/server-process.js';

const ARI = { username: 'callflow', password: 'ari-secret' };
const FS_PASSWORD = 'esl-secret';

let db: TestDatabase;
let ari: FakeAri;
let fs: FakeFreeswitch;
let first: ServerProcess;
let second: ServerProcess;
let third: ServerProcess | undefined;
let env: Record<string, string>;

interface AdapterState {
  enabled: boolean;
  leader: boolean;
  state: string;
}

async function adaptersOf(node: ServerProcess): Promise<Record<'asterisk' | 'freeswitch', AdapterState>> {
  const res = await fetch(`${node.url}/readyz`);
  return ((await res.json()) as { adapters: Record<'asterisk' | 'freeswitch', AdapterState> }).adapters;
}

async function historyOn(node: ServerProcess, callId: string): Promise<HistoryEvent[] | null> {
  const res = await fetch(`${node.url}/v1/calls/${callId}/history`);
  return res.status === 200 ? ((await res.json()) as { events: HistoryEvent[] }).events : null;
}

const untilHistory = (node: ServerProcess, callId: string, type: string, message: string) =>
  until(
    async () => {
      const events = await historyOn(node, callId);
      return events?.some((e) => e.type === type) ? events : null;
    },
    { message, timeoutMs: 15_000 },
  );

beforeFirstTest(async () => {
  db = await testDatabase('adapters_takeover');
  ari = await FakeAri.start(ARI);
  fs = await FakeFreeswitch.start({ password: FS_PASSWORD });
  env = {
    DATABASE_URL: db.url,
    HOLD_CHECK_SECONDS: '0.3',
    ARI_URL: ari.url,
    ARI_USERNAME: ARI.username,
    ARI_PASSWORD: ARI.password,
    FREESWITCH_ESL: fs.address,
    FREESWITCH_PASSWORD: FS_PASSWORD,
  };
  // The first node takes both connections before the second exists: the test knows whom to kill.
  first = await startServer(env, { timeoutMs: 90_000 });
  await Promise.all([ari.waitForConnections(1, 30_000), fs.waitForSubscribed(1, 30_000)]);
  second = await startServer(env, { timeoutMs: 90_000 });
}, 180_000);

afterAll(async () => {
  await Promise.all([first?.kill(), second?.kill(), third?.kill()]);
  await ari?.close();
  await fs?.close();
  await db?.drop();
});

describe('two nodes on one PostgreSQL, each PBX connection held by one', () => {
  it('one connection each, held by the first node; the second stands by', async () => {
    // Several lock retries (2 s each) of the second node: it never connects meanwhile.
    await sleep(5_000);
    expect([ari.openCount(), ari.maxConcurrent, ari.connections.length]).toEqual([1, 1, 1]);
    expect([fs.openCount(), fs.maxConcurrent, fs.connections.length]).toEqual([1, 1, 1]);
    expect(await adaptersOf(first)).toMatchObject({
      asterisk: { enabled: true, leader: true, state: 'connected' },
      freeswitch: { enabled: true, leader: true, state: 'connected' },
    });
    expect(await adaptersOf(second)).toMatchObject({
      asterisk: { enabled: true, leader: false, state: 'standby' },
      freeswitch: { enabled: true, leader: false, state: 'standby' },
    });
    expect(ari.connections[0]?.replaced).toBe(false);
  }, 120_000);

  it('kill -9 of the holder: the other node connects within 10 s, and both calls go on, nothing lost or doubled', async () => {
    // A call on each PBX, on hold when the holder dies.
    const customer = ari.channel('1732541000.7', { channelvars: { CALLFLOW_FIRST_NAME: 'Иван' } });
    const operator = ari.channel('1732541000.8', { name: 'PJSIP/operator-7-00000002' });
    const bridge = ari.bridge('bridge-takeover');
    ari.send(ari.stasisStart(customer), ari.enteredBridge(bridge, customer), ari.enteredBridge(bridge, operator));
    const ariHold = ari.hold(operator);
    ari.send(ariHold);
    const fsCustomer = fs.inboundLeg({ variables: { CALLFLOW_FIRST_NAME: 'Анна' } });
    const fsOperator = fs.operatorLeg(fsCustomer);
    const fsHold = fs.hold(fsOperator);
    fs.send(fs.answer(fsCustomer), fs.answer(fsOperator), fsHold);
    await untilHistory(second, customer.id, 'call.hold', 'ARI hold, read on the standby node');
    await untilHistory(second, fsCustomer.uuid, 'call.hold', 'FreeSWITCH hold, read on the standby node');

    const killedAt = Date.now();
    await first.kill();
    // The fakes see the dead node's sockets close (so what follows waits for the next connection).
    await until(() => ari.openCount() === 0 && fs.openCount() === 0, { message: 'sockets of the killed node closed' });
    // While nobody holds the connections: the operators take the calls off hold (the fakes keep
    // these for the next connection, as a PBX's own queue would not: this checks none is dropped).
    ari.send(ari.unhold(operator));
    fs.send(fs.unhold(fsOperator));
    const [ariMs, fsMs] = await Promise.all([
      ari.waitForConnections(2, 15_000).then(() => Date.now() - killedAt),
      fs.waitForSubscribed(2, 15_000).then(() => Date.now() - killedAt),
    ]);
    console.info(`takeover after kill -9: ARI ${ariMs} ms, FreeSWITCH ${fsMs} ms`);
    expect(ariMs).toBeLessThan(10_000);
    expect(fsMs).toBeLessThan(10_000);
    // The new socket is a takeover, not a fight: nobody was told ApplicationReplaced.
    expect(ari.connections.map((c) => c.replaced)).toEqual([false, false]);
    expect([ari.maxConcurrent, fs.maxConcurrent]).toEqual([1, 1]);

    // The holds again, as a PBX or a middleware replaying after a reconnect sends them: the same
    // identifiers, so the survivor applies them no second time. Then the calls end.
    ari.send(ariHold);
    fs.send(fsHold);
    ari.send(ari.hangupRequest(customer, 16));
    fs.send(fs.hangupComplete(fsCustomer, 'NORMAL_CLEARING'));
    const ariHistory = await untilHistory(second, customer.id, 'call.hangup', 'ARI call ended on the survivor');
    const fsHistory = await untilHistory(
      second,
      fsCustomer.uuid,
      'call.hangup',
      'FreeSWITCH call ended on the survivor',
    );

    const apiTypes = (h: HistoryEvent[]) => h.filter((e) => e.source === 'api').map((e) => e.type);
    expect(apiTypes(ariHistory)).toEqual(['call.hold', 'call.unhold', 'call.hangup']);
    expect(apiTypes(fsHistory)).toEqual(['call.hold', 'call.unhold', 'call.hangup']);
    expect(ariHistory.at(-1)?.data).toEqual({ by: 'customer' });
    for (const h of [ariHistory, fsHistory]) expect(h.map((e) => e.seq)).toEqual(h.map((_, i) => i + 1));

    expect(await adaptersOf(second)).toMatchObject({
      asterisk: { leader: true, state: 'connected' },
      freeswitch: { leader: true, state: 'connected' },
    });
    // Talk detection was switched on once by the first node at StasisStart; the survivor did not
    // need a StasisStart to go on.
    expect(ari.variableCalls.filter((c) => c.channelId === customer.id)).toHaveLength(1);
  }, 120_000);

  it('a frozen holder (SIGSTOP: its sockets stay open, it says nothing): the server ends its idle session and a third node connects within 10 s; resumed, the frozen node stands down', async () => {
    third = await startServer(env, { timeoutMs: 90_000 });
    await sleep(2_500); // the third node is a follower now, trying the lock
    expect((await adaptersOf(third)).freeswitch).toMatchObject({ leader: false, state: 'standby' });

    const frozenAt = Date.now();
    second.child.kill('SIGSTOP');
    try {
      const [ariMs, fsMs] = await Promise.all([
        ari.waitForConnections(3, 15_000).then(() => Date.now() - frozenAt),
        fs.waitForSubscribed(3, 15_000).then(() => Date.now() - frozenAt),
      ]);
      console.info(`takeover from a frozen holder: ARI ${ariMs} ms, FreeSWITCH ${fsMs} ms`);
      expect(ariMs).toBeLessThan(10_000);
      expect(fsMs).toBeLessThan(10_000);
    } finally {
      second.child.kill('SIGCONT');
    }
    // Resumed, it finds its session gone and lets go of both connections.
    await until(
      async () => {
        const states = await adaptersOf(second);
        return !states.asterisk.leader && !states.freeswitch.leader ? states : null;
      },
      { message: 'the resumed node stood down', timeoutMs: 10_000 },
    );
    await until(() => ari.openCount() === 1 && fs.openCount() === 1, { message: 'one connection each again' });
    await sleep(4_500); // two lock retries: nobody takes it back
    expect([ari.openCount(), fs.openCount()]).toEqual([1, 1]);
    expect(ari.connections.length).toBe(3);
    expect(fs.connections.filter((c) => c.subscribed.size > 0)).toHaveLength(3);
    expect(await adaptersOf(third)).toMatchObject({
      asterisk: { leader: true, state: 'connected' },
      freeswitch: { leader: true, state: 'connected' },
    });

    // Calls go on through the new holder.
    const customer = fs.inboundLeg();
    fs.send(fs.answer(customer), fs.hold(customer), fs.unhold(customer), fs.hangupComplete(customer));
    const history = await untilHistory(third, customer.uuid, 'call.hangup', 'a call through the third node');
    expect(history.filter((e) => e.source === 'api').map((e) => e.type)).toEqual([
      'call.hold',
      'call.unhold',
      'call.hangup',
    ]);
  }, 120_000);

  it('a graceful stop (SIGTERM) of the holder hands the connections over: the standby node connects within 10 s', async () => {
    if (!third) throw new Error('the test before starts the third node');
    const ariBefore = ari.connections.length;
    const fsBefore = fs.connections.filter((c) => c.subscribed.size > 0).length;
    const stoppedAt = Date.now();
    expect(await third.stop()).toBe(0);
    const [ariMs, fsMs] = await Promise.all([
      ari.waitForConnections(ariBefore + 1, 15_000).then(() => Date.now() - stoppedAt),
      fs.waitForSubscribed(fsBefore + 1, 15_000).then(() => Date.now() - stoppedAt),
    ]);
    console.info(`hand-over after SIGTERM: ARI ${ariMs} ms, FreeSWITCH ${fsMs} ms`);
    expect(ariMs).toBeLessThan(10_000);
    expect(fsMs).toBeLessThan(10_000);
    // The stopping node said `exit` to FreeSWITCH and closed its ARI socket: nobody was replaced.
    expect(fs.commands.filter((c) => c === 'exit').length).toBeGreaterThanOrEqual(1);
    expect(ari.connections.slice(ariBefore - 1).some((c) => c.replaced)).toBe(false);
    expect(await adaptersOf(second)).toMatchObject({
      asterisk: { leader: true, state: 'connected' },
      freeswitch: { leader: true, state: 'connected' },
    });
  }, 120_000);
});
