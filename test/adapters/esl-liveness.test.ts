/**
 * The event socket client's liveness probe (src/adapters/freeswitch/client.ts): a subscribed
 * connection asks `api uptime` every probe period; FreeSWITCH answers `api/response`. A host that
 * is gone without closing the socket (power, a cut network: no FIN, no RST) answers nothing, and
 * the client drops the connection at the next probe and reconnects, instead of waiting out TCP
 * keepalive's minutes. The client is driven directly, with short periods.
 */
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { Backoff } from '../../src/adapters/backoff.js';
import { EslClient } from '../../src/adapters/freeswitch/client.js';
import type { FreeswitchEvents } from '../../src/adapters/freeswitch/events.js';
import { sleep, until } from '../support/api.js';
import { FakeFreeswitch } from '../support/fake-freeswitch.js';

/** Long enough that a loaded machine's event-loop stalls (the full suite on two cores) do not look
 *  like a silent peer; production uses 20 s. */
const PERIOD_MS = 1_000;

let fs: FakeFreeswitch | undefined;
let client: EslClient | undefined;

afterAll(async () => {
  await client?.stop();
  await fs?.close();
});

/** The client's events side: this test is about the connection, so events are only counted. */
function countingEvents() {
  const seen = { events: 0, malformed: 0 };
  const events = {
    parse: (value: unknown) => ({ ok: true, event: value }),
    handle: async () => {
      seen.events++;
      return 'applied';
    },
    malformed: () => {
      seen.malformed++;
    },
    failed: () => {},
  } as unknown as FreeswitchEvents;
  return { events, seen };
}

describe('the event socket liveness probe', () => {
  it('answered probes keep the connection; a silent host is dropped at the next probe and the client reconnects', async () => {
    fs = await FakeFreeswitch.start({ password: 'pw' });
    const { events, seen } = countingEvents();
    client = new EslClient({ host: fs.host, port: fs.port, password: 'pw' }, events, pino({ level: 'silent' }), {
      probeMs: PERIOD_MS,
      handshakeTimeoutMs: 2 * PERIOD_MS,
      backoff: new Backoff(50, 50),
    });
    client.start();
    await fs.waitForSubscribed(1);
    await until(() => client?.status().state === 'connected', { message: 'connected' });

    // Several probe periods, all answered: the one connection stays, and the answers are no events.
    await sleep(3.5 * PERIOD_MS);
    expect(fs.commands.filter((c) => c === 'api uptime').length).toBeGreaterThanOrEqual(3);
    expect(client.status().state).toBe('connected');
    expect(fs.connections).toHaveLength(1);
    expect(seen).toEqual({ events: 0, malformed: 0 });

    fs.silent = true;
    const silentAt = Date.now();
    await until(() => client?.status().state !== 'connected', { message: 'dropped', timeoutMs: 10 * PERIOD_MS });
    // At most two probe periods: the unanswered probe, then the next one finds it unanswered.
    expect(Date.now() - silentAt).toBeLessThan(3 * PERIOD_MS);
    expect(client.status().lastError).toMatch(/no answer from FreeSWITCH within 1000 ms/);
    expect(fs.connections[0]?.closedAt).not.toBeNull();

    fs.silent = false;
    await fs.waitForSubscribed(2, 10 * PERIOD_MS);
    await until(() => client?.status().state === 'connected', { message: 'reconnected' });
    fs.send(fs.answer(fs.inboundLeg()));
    await until(() => seen.events === 1, { message: 'an event through the new connection' });
  }, 60_000);
});
