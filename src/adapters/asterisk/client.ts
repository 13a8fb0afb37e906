/**
 * The ARI event WebSocket (`/ari/events?app=ARI_APP&api_key=USER:PASS`, events.json
 * `eventWebsocket`), reconnecting with backoff, and the two REST calls the adapter makes: talk
 * detection on a call's channel, and the bridge list at each connect.
 */

import { Type } from '@sinclair/typebox';
import type { FastifyBaseLogger } from 'fastify';
import WebSocket from 'ws';
import type { AsteriskConfig } from '../../config.js';
import type { Backoff } from '../backoff.js';
import { ReconnectingClient } from '../reconnecting-client.js';
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

export class AriClient extends ReconnectingClient {
  private socket: WebSocket | null = null;

  constructor(
    private readonly config: AsteriskConfig,
    private readonly events: AsteriskEvents,
    log: FastifyBaseLogger,
    private readonly options: AriClientOptions = {},
  ) {
    super('asterisk', log, (type, error) => events.failed(type, error), options);
  }

  protected closeConnection(): void {
    this.socket?.close(1000, 'callflow stopping');
  }

  /** One connection, from the attempt to its close. */
  protected connectOnce(): Promise<void> {
    return new Promise((resolve) => {
      const socket = new WebSocket(this.eventsUrl(), { handshakeTimeout: 10_000 });
      this.socket = socket;
      let alive = true;
      let ping: NodeJS.Timeout | null = null;
      socket.on('open', () => {
        this.connected();
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
        this.closed(`connection closed (${code})`, { code });
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
      // Taking it back would take it from them, who would take it back: stay off instead (the
      // reconnect loop ends on `replaced`).
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
