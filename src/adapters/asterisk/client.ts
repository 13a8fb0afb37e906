/**
 * The ARI event WebSocket (`/ari/events?app=ARI_APP&api_key=USER:PASS`, events.json
 * `eventWebsocket`), reconnecting with backoff, and the two REST calls the adapter makes: talk
 * detection on a call's channel, and the bridge list at each connect.
 */

import { Type } from '@sinclair/typebox';
import type { FastifyBaseLogger } from 'fastify';
import WebSocket from 'ws';
import type { AsteriskConfig } from '../../config.js';
import { Backoff, pause } from '../backoff.js';
import { type ConnectionStatus, type PbxClient, StatusHolder } from '../connection.js';
import { SerialQueue } from '../serial.js';
import { validator } from '../validate.js';
import type { AsteriskEvents } from './events.js';
import { type AriBridge, Bridge } from './model.js';

const checkBridges = validator<AriBridge[]>(Type.Array(Bridge), 'bridges');

export interface AriClientOptions {
  backoff?: Backoff;
  /** WebSocket ping interval; a connection that misses one pong is dropped and reopened. */
  pingMs?: number;
  restTimeoutMs?: number;
}

export class AriClient implements PbxClient {
  private readonly statusHolder = new StatusHolder();
  private readonly backoff: Backoff;
  private running = false;
  private abort = new AbortController();
  private socket: WebSocket | null = null;
  private loop: Promise<void> = Promise.resolve();
  private queue: SerialQueue | null = null;

  constructor(
    private readonly config: AsteriskConfig,
    private readonly events: AsteriskEvents,
    private readonly log: FastifyBaseLogger,
    private readonly options: AriClientOptions = {},
  ) {
    this.backoff = options.backoff ?? new Backoff();
  }

  status(): ConnectionStatus {
    return this.statusHolder.get();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.abort = new AbortController();
    this.backoff.reset();
    this.queue = new SerialQueue({
      onRetry: (error, type) => this.log.warn({ adapter: 'asterisk', type, err: error }, 'PBX event failed; retrying'),
      onGiveUp: (error, type) => this.events.failed(type, error),
    });
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.abort.abort();
    this.socket?.close(1000, 'callflow stopping');
    await this.loop;
    await this.queue?.stop();
    this.statusHolder.set('standby');
  }

  private async run(): Promise<void> {
    while (this.running) {
      await this.connectOnce();
      if (!this.running || this.statusHolder.get().state === 'replaced') return;
      this.statusHolder.set('connecting');
      await pause(this.backoff.next(), this.abort.signal);
    }
  }

  /** One connection, from the attempt to its close. */
  private connectOnce(): Promise<void> {
    return new Promise((resolve) => {
      this.statusHolder.set('connecting');
      const socket = new WebSocket(this.eventsUrl(), { handshakeTimeout: 10_000 });
      this.socket = socket;
      let alive = true;
      let ping: NodeJS.Timeout | null = null;
      socket.on('open', () => {
        this.backoff.reset();
        this.statusHolder.set('connected', null);
        this.log.info({ adapter: 'asterisk', app: this.config.app }, 'ARI connected');
        // Before the first event of this connection: who is bridged with whom right now.
        this.queue?.push('bridges', () => this.loadBridges());
        ping = setInterval(() => {
          if (!alive) return socket.terminate();
          alive = false;
          socket.ping();
        }, this.options.pingMs ?? 20_000);
      });
      socket.on('pong', () => {
        alive = true;
      });
      socket.on('message', (data: WebSocket.RawData) => this.onMessage(data, socket));
      // The message names the cause ("Unexpected server response: 401", ECONNREFUSED), never the
      // URL with its api_key.
      socket.on('error', (error) => this.statusHolder.error(error.message));
      socket.on('close', (code) => {
        if (ping) clearInterval(ping);
        if (this.socket === socket) this.socket = null;
        const { state } = this.statusHolder.get();
        if (state === 'connected' && this.running) {
          this.statusHolder.error(`connection closed (${code})`);
          this.log.warn({ adapter: 'asterisk', code }, 'ARI connection lost; reconnecting');
        }
        resolve();
      });
    });
  }

  private onMessage(data: WebSocket.RawData, socket: WebSocket): void {
    const text = data.toString();
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      this.events.malformed(`not JSON (${Buffer.byteLength(text)} bytes)`);
      return;
    }
    const parsed = this.events.parse(value);
    if (!parsed.ok) {
      this.events.malformed(parsed.reason);
      return;
    }
    const { event } = parsed;
    if (event.type === 'ApplicationReplaced') {
      // Another client subscribed to our application and Asterisk sends its events there now.
      // Taking it back would take it from them, who would take it back: stay off instead.
      this.statusHolder.set('replaced', 'ApplicationReplaced: another client took the ARI application');
      this.log.warn(
        { adapter: 'asterisk', app: this.config.app },
        'another client took the ARI application; not reconnecting (restart this node, or stop the other client)',
      );
      socket.close(1000, 'replaced');
    }
    this.queue?.push(event.type, async () => {
      await this.events.handle(event, (channelId) => this.switchOnTalkDetection(channelId));
    });
  }

  private eventsUrl(): string {
    const url = new URL(this.config.url);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.pathname = `${this.prefix(url)}/ari/events`;
    const credentials = `${encodeURIComponent(this.config.username)}:${encodeURIComponent(this.config.password)}`;
    url.search = `?app=${encodeURIComponent(this.config.app)}&api_key=${credentials}`;
    return url.toString();
  }

  private restUrl(path: string, query: string): string {
    const url = new URL(this.config.url);
    url.pathname = `${this.prefix(url)}/ari${path}`;
    url.search = query;
    return url.toString();
  }

  /** http.conf `prefix=`: ARI_URL's path, if any, comes before /ari. */
  private prefix(url: URL): string {
    return url.pathname.replace(/\/+$/, '');
  }

  private async rest(method: 'GET' | 'POST', path: string, query = ''): Promise<Response> {
    const auth = Buffer.from(`${this.config.username}:${this.config.password}`).toString('base64');
    return fetch(this.restUrl(path, query), {
      method,
      headers: { authorization: `Basic ${auth}` },
      signal: AbortSignal.timeout(this.options.restTimeoutMs ?? 5_000),
    });
  }

  /** channels.json `setChannelVar`: TALK_DETECT(set) with an empty value uses Asterisk's defaults. */
  private switchOnTalkDetection(channelId: string): void {
    if (!this.config.talkDetect) return;
    const path = `/channels/${encodeURIComponent(channelId)}/variable`;
    this.rest('POST', path, `?variable=${encodeURIComponent('TALK_DETECT(set)')}&value=`).then(
      async (res) => {
        await res.body?.cancel();
        if (!res.ok) {
          this.log.warn(
            { adapter: 'asterisk', channel: channelId, status: res.status },
            'ARI refused TALK_DETECT(set)',
          );
        }
      },
      (error: Error) =>
        this.log.warn({ adapter: 'asterisk', channel: channelId, err: error.message }, 'TALK_DETECT(set) failed'),
    );
  }

  private async loadBridges(): Promise<void> {
    try {
      const res = await this.rest('GET', '/bridges');
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const checked = checkBridges(await res.json());
      if (!checked.ok) throw new Error(checked.reason);
      this.events.resetBridges(checked.value);
    } catch (error) {
      // Bridges are then learnt from the events as they come.
      this.log.warn({ adapter: 'asterisk', err: (error as Error).message }, 'GET /ari/bridges failed');
    }
  }
}
