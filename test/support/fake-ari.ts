/**
 * A fake Asterisk speaking ARI's wire protocol, for the adapter tests (Asterisk cannot be installed
 * here). Built from Asterisk's own model and code at asterisk/asterisk
 * f0c1c1a7b79b0f8cc0311649bf36824cbeee30a9 (read, not copied):
 * - rest-api/api-docs/events.json: `GET /events` (`eventWebsocket`, query `app`, required), the
 *   `Message` / `Event` envelope (`type`, `application`, `timestamp`, optional `asterisk_id`) and
 *   every event model used here (StasisStart, StasisEnd, ChannelHold, ChannelUnhold,
 *   ChannelTalkingStarted, ChannelTalkingFinished, ChannelHangupRequest, ChannelDestroyed,
 *   ChannelEnteredBridge, ChannelLeftBridge, ApplicationReplaced), each with all its required fields;
 * - rest-api/api-docs/channels.json: the `Channel`, `CallerID` and `DialplanCEP` models and
 *   `POST /channels/{channelId}/variable` (`setChannelVar`: 204; 400 without `variable`, 404 for an
 *   unknown channel, 409 for a channel not in Stasis);
 * - rest-api/api-docs/bridges.json: the `Bridge` model and `GET /bridges`;
 * - res/res_ari.c `authenticate_user` / `parse_api_keys`: HTTP Basic first, then `api_key=user:pass`;
 * - res/stasis/app.c `app_update`: a second socket for the same application makes the first one
 *   receive ApplicationReplaced (`type`, `timestamp`, `application`), and events go to the second;
 * - main/json.c `ast_json_timeval` with AST_ISO8601_FORMAT `%FT%T.%q%z` (2026-12-02T10:00:00.123+0000).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';

export interface CallerId {
  name: string;
  number: string;
}

/** channels.json `Channel`. */
export interface AriChannel {
  id: string;
  protocol_id: string;
  name: string;
  state: string;
  caller: CallerId;
  connected: CallerId;
  accountcode: string;
  dialplan: { context: string; exten: string; priority: number; app_name: string; app_data: string };
  creationtime: string;
  language: string;
  channelvars?: Record<string, string>;
}

/** bridges.json `Bridge`. */
export interface AriBridge {
  id: string;
  technology: string;
  bridge_type: 'mixing' | 'holding';
  bridge_class: string;
  creator: string;
  name: string;
  channels: string[];
  video_mode: string;
  creationtime: string;
}

export type AriEvent = { type: string; application: string; timestamp: string; asterisk_id?: string } & Record<
  string,
  unknown
>;

export interface AriConnection {
  app: string;
  auth: 'basic' | 'api_key';
  socket: WebSocket;
  openedAt: number;
  closedAt: number | null;
  replaced: boolean;
}

const ASTERISK_ID = '52:54:00:12:34:56';

/** AST_ISO8601_FORMAT, UTC. */
export function ariTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

export class FakeAri {
  readonly connections: AriConnection[] = [];
  /** Every `POST /ari/channels/{id}/variable`, in order. */
  readonly variableCalls: { channelId: string; variable: string; value: string | null }[] = [];
  readonly restCalls: { method: string; path: string }[] = [];
  /** Events sent, per application, oldest first (what a replay resends). */
  readonly sent: AriEvent[] = [];
  maxConcurrent = 0;
  private readonly channels = new Map<string, { channel: AriChannel; inStasis: boolean }>();
  private readonly bridges = new Map<string, AriBridge>();
  private clock = Date.parse('2026-12-02T10:00:00.000Z');
  /** Events resent to the next connection of the application (the fake's "replay on reconnect"). */
  private replayNext: AriEvent[] = [];
  private readonly wss = new WebSocketServer({ noServer: true });
  private waiters: (() => void)[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly credentials: { username: string; password: string },
    readonly app: string,
  ) {}

  static async start(options: { username: string; password: string; app?: string }): Promise<FakeAri> {
    let fake: FakeAri | null = null;
    const server = createServer((request, response) => fake?.rest(request, response));
    server.on('upgrade', (request, socket, head) => fake?.upgrade(request, socket, head));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    fake = new FakeAri(server, `http://127.0.0.1:${port}`, options, options.app ?? 'callflow');
    return fake;
  }

  // ---- the world: channels and bridges -------------------------------------------------------

  /** A timestamp a millisecond after the last one: every event has its own. */
  tick(): string {
    this.clock += 1;
    return ariTimestamp(this.clock);
  }

  channel(
    id: string,
    options: { name?: string; caller?: CallerId; language?: string; channelvars?: Record<string, string> } = {},
  ): AriChannel {
    const channel: AriChannel = {
      id,
      protocol_id: `${id.replace(/\D/g, '')}@pbx.example`,
      name: options.name ?? `PJSIP/trunk-${id.replace(/\D/g, '').slice(-8).padStart(8, '0')}`,
      state: 'Up',
      caller: options.caller ?? { name: '', number: '74951234567' },
      connected: { name: '', number: '' },
      accountcode: '',
      dialplan: { context: 'from-trunk', exten: '100', priority: 3, app_name: 'Stasis', app_data: this.app },
      creationtime: ariTimestamp(this.clock),
      language: options.language ?? 'ru',
      ...(options.channelvars && { channelvars: options.channelvars }),
    };
    this.channels.set(id, { channel, inStasis: false });
    return channel;
  }

  bridge(id: string): AriBridge {
    const bridge: AriBridge = {
      id,
      technology: 'simple_bridge',
      bridge_type: 'mixing',
      bridge_class: 'stasis',
      creator: 'Stasis',
      name: '',
      channels: [],
      video_mode: 'none',
      creationtime: ariTimestamp(this.clock),
    };
    this.bridges.set(id, bridge);
    return bridge;
  }

  // ---- events (events.json models, all required fields) ----------------------------------------

  private event(type: string, fields: Record<string, unknown>): AriEvent {
    return { type, timestamp: this.tick(), ...fields, asterisk_id: ASTERISK_ID, application: this.app };
  }

  stasisStart(channel: AriChannel, args: string[] = []): AriEvent {
    const known = this.channels.get(channel.id);
    if (known) known.inStasis = true;
    return this.event('StasisStart', { args, channel });
  }
  stasisEnd(channel: AriChannel): AriEvent {
    const known = this.channels.get(channel.id);
    if (known) known.inStasis = false;
    return this.event('StasisEnd', { channel });
  }
  hold(channel: AriChannel, musicclass?: string): AriEvent {
    return this.event('ChannelHold', { channel, ...(musicclass && { musicclass }) });
  }
  unhold(channel: AriChannel): AriEvent {
    return this.event('ChannelUnhold', { channel });
  }
  talkingStarted(channel: AriChannel): AriEvent {
    return this.event('ChannelTalkingStarted', { channel });
  }
  talkingFinished(channel: AriChannel, duration: number): AriEvent {
    return this.event('ChannelTalkingFinished', { channel, duration });
  }
  hangupRequest(channel: AriChannel, cause?: number, soft?: boolean): AriEvent {
    return this.event('ChannelHangupRequest', {
      channel,
      ...(cause !== undefined && { cause }),
      ...(soft !== undefined && { soft }),
    });
  }
  destroyed(channel: AriChannel, cause: number, causeTxt: string): AriEvent {
    this.channels.delete(channel.id);
    for (const bridge of this.bridges.values()) bridge.channels = bridge.channels.filter((c) => c !== channel.id);
    return this.event('ChannelDestroyed', { channel: { ...channel, state: 'Down' }, cause, cause_txt: causeTxt });
  }
  enteredBridge(bridge: AriBridge, channel: AriChannel): AriEvent {
    if (!bridge.channels.includes(channel.id)) bridge.channels.push(channel.id);
    return this.event('ChannelEnteredBridge', { bridge: structuredClone(bridge), channel });
  }
  leftBridge(bridge: AriBridge, channel: AriChannel): AriEvent {
    bridge.channels = bridge.channels.filter((c) => c !== channel.id);
    return this.event('ChannelLeftBridge', { bridge: structuredClone(bridge), channel });
  }

  // ---- the event socket ------------------------------------------------------------------------

  /** The application's open socket (the newest one: Asterisk sends there). */
  current(): AriConnection | undefined {
    return this.connections.filter((c) => c.closedAt === null && !c.replaced).at(-1);
  }

  openCount(): number {
    return this.connections.filter((c) => c.closedAt === null).length;
  }

  /** Sends events to the application's socket, recorded for replays. While no socket is open they
   *  wait for the next one (after its replay): a dropped connection loses nothing of this fake's. */
  send(...events: AriEvent[]): void {
    const connection = this.current();
    for (const event of events) {
      this.sent.push(event);
      if (connection) connection.socket.send(JSON.stringify(event));
      else this.replayNext.push(event);
    }
  }

  /** Sends a text frame as is (bad-input tests). */
  sendRaw(text: string): void {
    const connection = this.current();
    if (!connection) throw new Error('fake ARI: no application socket is open');
    connection.socket.send(text);
  }

  /** Drops the socket without a close handshake; the next connection first gets the last `replay`
   *  events again, then what was sent meanwhile. */
  drop(replay = 0): void {
    this.replayNext = replay > 0 ? this.sent.slice(-replay) : [];
    const connection = this.current();
    if (connection) {
      connection.closedAt = Date.now();
      connection.socket.terminate();
    }
  }

  /** Resolves once `n` connections have been opened in all. */
  async waitForConnections(n: number, timeoutMs = 15_000): Promise<AriConnection> {
    const deadline = Date.now() + timeoutMs;
    while (this.connections.length < n || this.connections[n - 1]?.closedAt !== null) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`fake ARI: ${this.connections.length} connection(s), waited for ${n}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.connections[n - 1]!;
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.socket.terminate();
    this.wss.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- HTTP ------------------------------------------------------------------------------------

  /** res_ari.c: Basic auth first, then ?api_key=user:pass. */
  private authenticate(request: IncomingMessage, query: URLSearchParams): 'basic' | 'api_key' | null {
    const { username, password } = this.credentials;
    const header = request.headers.authorization ?? '';
    if (header.startsWith('Basic ')) {
      const [user, ...rest] = Buffer.from(header.slice(6), 'base64').toString().split(':');
      return user === username && rest.join(':') === password ? 'basic' : null;
    }
    const key = query.get('api_key');
    if (key) {
      const colon = key.indexOf(':');
      return key.slice(0, colon) === username && key.slice(colon + 1) === password ? 'api_key' : null;
    }
    return null;
  }

  private upgrade(request: IncomingMessage, socket: Duplex, head: Buffer) {
    const url = new URL(request.url ?? '/', 'http://fake');
    const refuse = (status: string, body: string) => {
      socket.end(
        `HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nWWW-Authenticate: Basic realm="Asterisk REST Interface"\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    };
    if (url.pathname !== '/ari/events') return refuse('404 Not Found', '{"message":"Resource not found"}');
    const auth = this.authenticate(request, url.searchParams);
    if (!auth) return refuse('401 Unauthorized', '{"message":"Authentication required"}');
    const app = url.searchParams.get('app');
    if (!app) return refuse('400 Bad Request', '{"message":"Missing parameter app"}');
    this.wss.handleUpgrade(request, socket, head, (ws) => this.opened(ws, app, auth));
  }

  private opened(socket: WebSocket, app: string, auth: 'basic' | 'api_key'): void {
    const previous = this.connections.filter((c) => c.app === app && c.closedAt === null && !c.replaced);
    for (const old of previous) {
      old.replaced = true;
      old.socket.send(JSON.stringify({ type: 'ApplicationReplaced', timestamp: this.tick(), application: app }));
    }
    const connection: AriConnection = { app, auth, socket, openedAt: Date.now(), closedAt: null, replaced: false };
    this.connections.push(connection);
    this.maxConcurrent = Math.max(this.maxConcurrent, this.openCount());
    socket.on('close', () => {
      connection.closedAt = Date.now();
    });
    socket.on('error', () => {});
    const replay = this.replayNext;
    this.replayNext = [];
    for (const event of replay) socket.send(JSON.stringify(event));
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  private rest(request: IncomingMessage, response: ServerResponse) {
    const url = new URL(request.url ?? '/', 'http://fake');
    this.restCalls.push({ method: request.method ?? '', path: url.pathname });
    const json = (status: number, body?: unknown) => {
      response.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
      response.end(body === undefined ? undefined : JSON.stringify(body));
    };
    if (!this.authenticate(request, url.searchParams)) return json(401, { message: 'Authentication required' });
    const variable = /^\/ari\/channels\/([^/]+)\/variable$/.exec(url.pathname);
    if (variable && request.method === 'POST') {
      const channelId = decodeURIComponent(variable[1]!);
      const name = url.searchParams.get('variable');
      if (!name) return json(400, { message: 'Variable name is required' });
      const known = this.channels.get(channelId);
      if (!known) return json(404, { message: 'Channel not found' });
      if (!known.inStasis) return json(409, { message: 'Channel not in Stasis application' });
      this.variableCalls.push({ channelId, variable: name, value: url.searchParams.get('value') });
      return json(204);
    }
    if (url.pathname === '/ari/bridges' && request.method === 'GET') return json(200, [...this.bridges.values()]);
    json(404, { message: 'Resource not found' });
  }
}
