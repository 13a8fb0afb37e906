/**
 * The reconnect loop both PBX clients share (src/adapters/reconnecting-client.ts): the delays
 * between attempts (SPEC §9: 1 s doubling to 30 s), the reset after a good connection, stopping,
 * and staying off once the PBX gave our subscription to someone else (ApplicationReplaced).
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { Backoff } from '../../src/adapters/backoff.js';
import { ReconnectingClient } from '../../src/adapters/reconnecting-client.js';

type Attempt = 'refused' | 'up-then-lost' | 'replaced';

/** A client whose connections do what the script says, one entry per attempt, then stay refused. */
class ScriptedClient extends ReconnectingClient {
  attempts = 0;
  closedByUs = 0;
  readonly delays: number[] = [];
  readonly states: string[] = [];

  constructor(
    private readonly script: Attempt[],
    backoff: Backoff,
  ) {
    super('freeswitch', pino({ level: 'silent' }), () => {}, { backoff });
    const next = backoff.next.bind(backoff);
    backoff.next = () => {
      const delay = next();
      this.delays.push(delay);
      return delay;
    };
  }

  protected async connectOnce(): Promise<void> {
    const step = this.script[this.attempts++] ?? 'refused';
    this.states.push(this.statusHolder.get().state);
    if (step === 'up-then-lost') {
      this.connected();
      this.closed('connection closed');
    } else if (step === 'replaced') {
      this.connected();
      this.statusHolder.set('replaced', 'ApplicationReplaced');
    } else {
      this.statusHolder.error('ECONNREFUSED');
    }
  }

  protected closeConnection(): void {
    this.closedByUs++;
  }
}

const until = async (predicate: () => boolean, timeoutMs = 5_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 2));
  }
};

describe('Backoff', () => {
  it('1 s doubling to 30 s, and from 1 s again after a reset', () => {
    const backoff = new Backoff();
    const delays = Array.from({ length: 8 }, () => backoff.next());
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
    backoff.reset();
    expect(backoff.next()).toBe(1_000);
  });
});

describe('ReconnectingClient', () => {
  it('waits longer after each refused attempt, and starts again from the shortest delay after a good connection', async () => {
    const client = new ScriptedClient(['refused', 'refused', 'refused', 'up-then-lost', 'refused'], new Backoff(1, 8));
    client.start();
    await until(() => client.attempts >= 6);
    await client.stop();
    // Three refusals: 1, 2, 4; the good connection resets; then 1 and 2 again.
    expect(client.delays.slice(0, 5)).toEqual([1, 2, 4, 1, 2]);
    expect(client.states.every((s) => s === 'connecting')).toBe(true);
    expect(client.status().state).toBe('standby');
    expect(client.closedByUs).toBe(1);
  });

  it('a lost connection is reported with its reason until the next one is up', async () => {
    const client = new ScriptedClient(['up-then-lost'], new Backoff(10_000, 10_000));
    client.start();
    await until(() => client.delays.length === 1);
    expect(client.status()).toMatchObject({ state: 'connecting', lastError: 'connection closed' });
    await client.stop();
  });

  it('replaced: no further attempt, however long we wait, and the state says why', async () => {
    const client = new ScriptedClient(['refused', 'replaced'], new Backoff(1, 1));
    client.start();
    await until(() => client.attempts === 2);
    await new Promise((r) => setTimeout(r, 100));
    expect(client.attempts).toBe(2);
    expect(client.status()).toMatchObject({ state: 'replaced', lastError: 'ApplicationReplaced' });
    await client.stop();
  });

  it('stop during a backoff pause returns at once and attempts nothing more', async () => {
    const client = new ScriptedClient([], new Backoff(60_000, 60_000));
    client.start();
    await until(() => client.delays.length === 1);
    const started = Date.now();
    await client.stop();
    expect(Date.now() - started).toBeLessThan(1_000);
    await new Promise((r) => setTimeout(r, 50));
    expect(client.attempts).toBe(1);
  });
});
