/**
 * INSPECT_URL: the service reports every call to an XState inspector over a WebSocket, in
 * @statelyai/inspect's protocol. A local receiver (ws WebSocketServer on a free port) stands in
 * for the inspector; calls go through the app as a client would send them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { InspectorSocket, stateValueOf } from '../../src/inspect.js';
import { buildTestApp, post, type TestApp } from '../support/app.js';
import { freePort } from '../support/server-process.js';

interface Message {
  type: string;
  sessionId: string;
  name?: string;
  definition?: string;
  event?: { type: string; [key: string]: unknown };
  snapshot?: { status?: string; value?: unknown; context?: Record<string, unknown> };
}

class Receiver {
  readonly messages: Message[] = [];
  readonly server: WebSocketServer;
  connections = 0;

  private constructor(server: WebSocketServer) {
    this.server = server;
    server.on('connection', (socket) => {
      this.connections++;
      socket.on('message', (data) => this.messages.push(JSON.parse(String(data)) as Message));
    });
  }

  static async start(port = 0): Promise<Receiver> {
    const server = new WebSocketServer({ host: '127.0.0.1', port });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    return new Receiver(server);
  }

  get url() {
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  of(callId: string, type?: string) {
    return this.messages.filter((m) => m.sessionId === callId && (type === undefined || m.type === type));
  }

  async waitFor(predicate: () => boolean, timeoutMs = 5_000) {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`receiver: timed out; got ${JSON.stringify(this.messages, null, 1)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close() {
    for (const client of this.server.clients) client.terminate();
    return new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const GREETING = { conversation: { dialogue: 'greeting', answer: 'awaiting', conduct: 'polite' } };

describe('XState inspection over a WebSocket (INSPECT_URL)', () => {
  let receiver: Receiver;
  let app: TestApp | null;

  beforeEach(async () => {
    receiver = await Receiver.start();
    app = null;
  });

  afterEach(async () => {
    await app?.close();
    await receiver.close();
  });

  it('registers each call as an actor, then reports its events and snapshots, timer firings included', async () => {
    app = await buildTestApp({ INSPECT_URL: receiver.url, HOLD_CHECK_SECONDS: '0.2' });
    const created = await post(app, '/v1/calls', {
      callId: 'insp-1',
      customer: { firstName: 'Иван', patronymic: 'Петрович' },
    });
    expect(created.statusCode).toBe(201);
    expect((await post(app, '/v1/calls/insp-1/events', { type: 'call.hold', id: 'e1' })).statusCode).toBe(200);

    // The hold check fires by itself (timer source) and is reported like any event.
    await receiver.waitFor(() =>
      receiver.of('insp-1', '@xstate.event').some((m) => m.event?.type.startsWith('xstate.after.holdCheck')),
    );
    expect((await post(app, '/v1/calls/insp-1/events', { type: 'call.unhold', id: 'e2' })).statusCode).toBe(200);
    await receiver.waitFor(() => receiver.of('insp-1', '@xstate.event').some((m) => m.event?.type === 'call.unhold'));
    await receiver.waitFor(() => receiver.of('insp-1', '@xstate.snapshot').length >= 3);

    const [actor, ...moreActors] = receiver.of('insp-1', '@xstate.actor');
    expect(moreActors).toEqual([]);
    expect(actor).toMatchObject({ name: 'call', snapshot: { status: 'active', value: GREETING } });
    // The definition is the machine's own config, for the viewer to draw.
    expect(JSON.parse(actor!.definition!)).toMatchObject({ id: 'call', initial: 'conversation' });
    expect(actor!.definition).not.toMatch(/\[(Object|Array)\]/); // not cut at a depth limit
    expect(receiver.messages.indexOf(actor!)).toBe(0);

    const events = receiver.of('insp-1', '@xstate.event').map((m) => m.event!.type);
    expect(events[0]).toBe('call.hold');
    expect(events[1]).toMatch(/^xstate\.after\.holdCheck\./);
    expect(events.at(-1)).toBe('call.unhold');

    const snapshots = receiver.of('insp-1', '@xstate.snapshot');
    expect(snapshots[0]).toMatchObject({ event: { type: 'call.hold' }, snapshot: { status: 'active', value: 'hold' } });
    expect(snapshots[1]).toMatchObject({ snapshot: { value: 'hold' } });
    expect(snapshots.at(-1)).toMatchObject({
      event: { type: 'call.unhold' },
      snapshot: { status: 'active', value: GREETING, context: { repeats: 0, connectionAttempts: 0, warnings: 0 } },
    });
    // Each event comes before the snapshot it produced.
    const holdEvent = receiver.messages.findIndex((m) => m.type === '@xstate.event' && m.event?.type === 'call.hold');
    expect(holdEvent).toBeLessThan(receiver.messages.indexOf(snapshots[0]!));
  });

  it('reports the end of a call, parallel states as a state value, and never sends customer names', async () => {
    app = await buildTestApp({ INSPECT_URL: receiver.url });
    await post(app, '/v1/calls', { callId: 'insp-2' });
    await post(app, '/v1/calls/insp-2/events', {
      type: 'customer.identified',
      data: { firstName: 'Мария', patronymic: 'Ивановна' },
    });
    await post(app, '/v1/calls/insp-2/events', { type: 'answer.given' });
    await post(app, '/v1/calls/insp-2/events', { type: 'call.hangup', data: { by: 'customer' } });
    await receiver.waitFor(() => receiver.of('insp-2', '@xstate.snapshot').length === 3);

    const [identified, answered, ended] = receiver.of('insp-2', '@xstate.snapshot');
    expect(identified?.snapshot?.context?.customer).toEqual({ firstName: '[redacted]', patronymic: '[redacted]' });
    expect(answered?.snapshot?.value).toEqual({
      conversation: { dialogue: 'talking', answer: 'given', conduct: 'polite' },
    });
    expect(ended).toMatchObject({
      event: { type: 'call.hangup', by: 'customer' },
      snapshot: { status: 'done', value: 'ended', context: { endReason: 'hangup' } },
    });
    const wire = JSON.stringify(receiver.messages);
    expect(wire).not.toContain('Мария');
    expect(wire).not.toContain('Ивановна');
    expect(wire).toContain('"type":"customer.identified"');
  });

  it('registers a call it did not create (made before this process started) on its first event', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'callflow-inspect-'));
    try {
      const url = `sqlite:${join(dir, 'callflow.db')}`;
      const before = await buildTestApp({ DATABASE_URL: url, HOLD_CHECK_SECONDS: '30' });
      await post(before, '/v1/calls', { callId: 'insp-3' });
      await before.close();

      app = await buildTestApp({ DATABASE_URL: url, INSPECT_URL: receiver.url, HOLD_CHECK_SECONDS: '30' });
      expect((await post(app, '/v1/calls/insp-3/events', { type: 'call.hold' })).statusCode).toBe(200);
      await receiver.waitFor(() => receiver.of('insp-3', '@xstate.snapshot').length === 1);
      expect(receiver.of('insp-3').map((m) => m.type)).toEqual(['@xstate.actor', '@xstate.event', '@xstate.snapshot']);
      expect(receiver.of('insp-3', '@xstate.actor')[0]?.snapshot?.value).toBe('hold');
      await app.close();
      app = null;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps serving when the inspector is unreachable, and delivers once it comes up', async () => {
    const port = await freePort();
    app = await buildTestApp({ INSPECT_URL: `ws://127.0.0.1:${port}`, HOLD_CHECK_SECONDS: '30' });
    expect((await post(app, '/v1/calls', { callId: 'insp-4' })).statusCode).toBe(201);
    expect((await post(app, '/v1/calls/insp-4/events', { type: 'call.hold' })).statusCode).toBe(200);

    const late = await Receiver.start(port);
    try {
      // The socket retries with a backoff of at most 5 s.
      await late.waitFor(() => late.of('insp-4', '@xstate.snapshot').length === 1, 15_000);
      expect(late.of('insp-4').map((m) => m.type)).toEqual(['@xstate.actor', '@xstate.event', '@xstate.snapshot']);
    } finally {
      await late.close();
    }
  });

  it('refuses an INSPECT_URL that is not a WebSocket URL', async () => {
    await expect(buildTestApp({ INSPECT_URL: 'http://127.0.0.1:1/' })).rejects.toThrow(/ws:\/\/ or wss:\/\//);
  });
});

describe('InspectorSocket', () => {
  it('once stopped, never connects again (the package adapter reconnected after stop)', async () => {
    const port = await freePort();
    const socket = new InspectorSocket(`ws://127.0.0.1:${port}`, 10);
    socket.start();
    socket.send({ type: '@xstate.event' } as never);
    await new Promise((r) => setTimeout(r, 100)); // a refused connection, a retry pending
    socket.stop();
    const receiver = await Receiver.start(port);
    try {
      await new Promise((r) => setTimeout(r, 1_500));
      expect(receiver.connections).toBe(0);
      expect(receiver.messages).toEqual([]);
    } finally {
      await receiver.close();
    }
  });

  it('keeps at most maxQueued messages while disconnected, the newest', async () => {
    const port = await freePort();
    const socket = new InspectorSocket(`ws://127.0.0.1:${port}`, 2);
    for (const id of ['a', 'b', 'c']) socket.send({ type: '@xstate.event', sessionId: id } as never);
    const receiver = await Receiver.start(port);
    try {
      socket.start();
      await receiver.waitFor(() => receiver.messages.length === 2);
      expect(receiver.messages.map((m) => m.sessionId)).toEqual(['b', 'c']);
    } finally {
      socket.stop();
      await receiver.close();
    }
  });
});

describe('stateValueOf', () => {
  it('turns view state paths back into an XState state value', () => {
    expect(stateValueOf('hold')).toBe('hold');
    expect(stateValueOf('ended')).toBe('ended');
    expect(
      stateValueOf(['conversation.dialogue.talking', 'conversation.answer.given', 'conversation.conduct.polite']),
    ).toEqual({
      conversation: { dialogue: 'talking', answer: 'given', conduct: 'polite' },
    });
    expect(stateValueOf('a.b')).toEqual({ a: 'b' });
  });
});
