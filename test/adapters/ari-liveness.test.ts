/**
 * The ARI client's liveness check (src/adapters/asterisk/client.ts): a WebSocket ping every ping
 * period; Asterisk's WebSocket answers each with a pong. A peer that stops reading (a host gone
 * without closing the socket) sends no pong, and the client drops the socket at the next ping
 * and reconnects. The client is driven directly, with a short period.
 */
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { AriClient } from '../../src/adapters/asterisk/client.js';
import type { AsteriskEvents } from '../../src/adapters/asterisk/events.js';
import { Backoff } from '../../src/adapters/backoff.js';
import { sleep, until } from '../support/api.js';
import { FakeAri } from '../support/fake-ari.js';

/** Long enough that a loaded machine's event-loop stalls (the full suite on two cores) do not look
 *  like a silent peer; production uses 20 s. */
const PERIOD_MS = 1_000;

let ari: FakeAri | undefined;
let client: AriClient | undefined;

afterAll(async () => {
  await client?.stop();
  await ari?.close();
});

describe('the ARI socket liveness check', () => {
  it('pongs keep the socket; a peer that stops answering is dropped at the next ping and the client reconnects', async () => {
    ari = await FakeAri.start({ username: 'u', password: 'p' });
    const seen = { events: 0 };
    const events = {
      parse: (value: unknown) => ({ ok: true, event: value }),
      handle: async () => {
        seen.events++;
        return 'applied';
      },
      malformed: () => {},
      failed: () => {},
      resetBridges: () => {},
    } as unknown as AsteriskEvents;
    client = new AriClient(
      { url: new URL(ari.url), username: 'u', password: 'p', app: 'callflow', talkDetect: false },
      events,
      pino({ level: 'silent' }),
      { pingMs: PERIOD_MS, backoff: new Backoff(50, 50) },
    );
    client.start();
    const first = await ari.waitForConnections(1);
    await until(() => client?.status().state === 'connected', { message: 'connected' });

    await sleep(3.5 * PERIOD_MS); // several pings, each answered
    expect(client.status().state).toBe('connected');
    expect(ari.connections).toHaveLength(1);

    // The fake stops reading its end of the socket: no pong comes back any more.
    first.socket.pause();
    const silentAt = Date.now();
    await until(() => client?.status().state !== 'connected', { message: 'dropped', timeoutMs: 10 * PERIOD_MS });
    expect(Date.now() - silentAt).toBeLessThan(3 * PERIOD_MS);
    expect(client.status().lastError).toMatch(/connection closed \(1006\)/);

    await ari.waitForConnections(2, 10 * PERIOD_MS);
    await until(() => client?.status().state === 'connected', { message: 'reconnected' });
    ari.send(ari.stasisStart(ari.channel('1732580000.1')));
    await until(() => seen.events === 1, { message: 'an event through the new socket' });
  }, 60_000);
});
