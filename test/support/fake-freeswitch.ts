/**
 * A fake FreeSWITCH event socket (inbound mode) for the adapter tests (FreeSWITCH cannot be
 * installed here). Built from FreeSWITCH's own code at signalwire/freeswitch
 * cc93a683ca6e1f8f47c1d6e38bd2daf8fa6a7b1c (read, not copied):
 * - src/mod/event_handlers/mod_event_socket/mod_event_socket.c: on connect `Content-Type:
 *   auth/request`; `auth PASSWORD` answered by `command/reply` with `Reply-Text: +OK accepted`, or
 *   `-ERR invalid` and the connection closed; `event json NAMES…` answered `+OK event listener
 *   enabled json`; `exit` answered `+OK bye`; each event written as `Content-Length: N`,
 *   `Content-Type: text/event-json`, a blank line, then N bytes (the header and the body in two
 *   writes, as the module does); a listener thread's end (`listener_run`: `send_disconnect` with
 *   "Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n", then the socket
 *   closed) and an address refused by `apply-inbound-acl` (`text/rude-rejection`, "Access Denied,
 *   go away.\n", closed); `api CMD` answered by `api_exec` as `Content-Type: api/response` with
 *   the output as its body;
 * - src/switch_event.c: `switch_event_serialize_json_obj` (a flat JSON object, every value a
 *   string), `switch_event_prep_for_delivery_detailed` (Event-Name, Core-UUID, FreeSWITCH-Hostname,
 *   FreeSWITCH-Switchname, FreeSWITCH-IPv4, FreeSWITCH-IPv6, Event-Date-Local, Event-Date-GMT,
 *   Event-Date-Timestamp in microseconds, Event-Calling-File/-Function/-Line-Number, Event-Sequence);
 * - src/switch_channel.c: `switch_channel_event_set_basic_data` (Channel-State, Channel-Call-State,
 *   Channel-State-Number, Channel-Name, Unique-ID, Call-Direction, Presence-Call-Direction,
 *   Channel-HIT-Dialplan, Channel-Call-UUID, Answer-State, Hangup-Cause, codecs, the Caller-*
 *   profile, Other-Type and Other-Leg-* of a bridged leg) and `switch_channel_event_set_extended_data`
 *   (`variable_*` on CHANNEL_ANSWER, CHANNEL_HOLD, CHANNEL_UNHOLD, CHANNEL_HANGUP_COMPLETE);
 *   `switch_channel_perform_mark_answered` and `switch_channel_mark_hold` fire ANSWER and HOLD/UNHOLD;
 * - src/switch_caller.c `switch_caller_profile_event_set_data`: the profile headers and times;
 * - src/switch_core_state_machine.c `switch_core_session_reporting_state`: CHANNEL_HANGUP_COMPLETE.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';

export type FsHeaders = Record<string, string>;

export interface FsLeg {
  uuid: string;
  direction: 'inbound' | 'outbound';
  channelName: string;
  callerName: string;
  callerNumber: string;
  destination: string;
  createdUs: number;
  answeredUs: number;
  /** The leg this one is bridged with (its originator or originatee profile). */
  other: FsLeg | null;
  variables: Record<string, string>;
  hangupCause: string | null;
}

interface FsConnection {
  socket: Socket;
  authed: boolean;
  subscribed: Set<string>;
  openedAt: number;
  closedAt: number | null;
  buffer: string;
}

const CORE_UUID = '5e3b6a36-8c8f-4a4c-9a59-0d5f9f3c1a10';

/** Where FreeSWITCH fires each channel event from (Event-Calling-*). */
const CALLING: Record<string, [string, string, number]> = {
  CHANNEL_ANSWER: ['switch_channel.c', 'switch_channel_perform_mark_answered', 3848],
  CHANNEL_HOLD: ['switch_channel.c', 'switch_channel_mark_hold', 876],
  CHANNEL_UNHOLD: ['switch_channel.c', 'switch_channel_mark_hold', 876],
  CHANNEL_HANGUP_COMPLETE: ['switch_core_state_machine.c', 'switch_core_session_reporting_state', 943],
  CHANNEL_CREATE: ['switch_core_state_machine.c', 'switch_core_session_run', 627],
};

/** FreeSWITCH's channel events with the headers it gives them, for the fake and for unit tests. */
export class FsEventBuilder {
  private clockUs = Date.parse('2026-12-02T10:00:00.000Z') * 1000;
  protected sequence = 4711;

  private tickUs(): number {
    this.clockUs += 1000 + (this.sequence % 7); // distinct, increasing, not round
    return this.clockUs;
  }

  inboundLeg(options: { callerNumber?: string; variables?: Record<string, string> } = {}): FsLeg {
    const uuid = randomUUID();
    const number = options.callerNumber ?? '74951234567';
    return {
      uuid,
      direction: 'inbound',
      channelName: `sofia/external/${number}@203.0.113.7`,
      callerName: number,
      callerNumber: number,
      destination: '100',
      createdUs: this.tickUs(),
      answeredUs: 0,
      other: null,
      variables: {
        direction: 'inbound',
        uuid,
        session_id: String(this.sequence),
        sip_from_user: number,
        sip_to_user: '100',
        ...options.variables,
      },
      hangupCause: null,
    };
  }

  /** The operator's leg, dialled out from `customer` (bridge): its originator is the customer's leg. */
  operatorLeg(customer: FsLeg, extension = '1001'): FsLeg {
    const uuid = randomUUID();
    const leg: FsLeg = {
      uuid,
      direction: 'outbound',
      channelName: `sofia/internal/${extension}@10.0.0.21`,
      callerName: customer.callerName,
      callerNumber: customer.callerNumber,
      destination: extension,
      createdUs: this.tickUs(),
      answeredUs: 0,
      other: customer,
      variables: { direction: 'outbound', uuid, call_uuid: customer.uuid, bridge_uuid: customer.uuid },
      hangupCause: null,
    };
    customer.other = leg;
    customer.variables.bridge_uuid = uuid;
    return leg;
  }

  private profile(prefix: string, leg: FsLeg): FsHeaders {
    return {
      [`${prefix}-Direction`]: leg.direction,
      [`${prefix}-Logical-Direction`]: leg.direction,
      [`${prefix}-Username`]: leg.callerNumber,
      [`${prefix}-Dialplan`]: 'XML',
      [`${prefix}-Caller-ID-Name`]: leg.callerName,
      [`${prefix}-Caller-ID-Number`]: leg.callerNumber,
      [`${prefix}-Orig-Caller-ID-Name`]: leg.callerName,
      [`${prefix}-Orig-Caller-ID-Number`]: leg.callerNumber,
      [`${prefix}-Network-Addr`]: leg.direction === 'inbound' ? '203.0.113.7' : '10.0.0.21',
      [`${prefix}-ANI`]: leg.callerNumber,
      [`${prefix}-Destination-Number`]: leg.destination,
      [`${prefix}-Unique-ID`]: leg.uuid,
      [`${prefix}-Source`]: 'mod_sofia',
      [`${prefix}-Context`]: leg.direction === 'inbound' ? 'public' : 'default',
      [`${prefix}-Channel-Name`]: leg.channelName,
      [`${prefix}-Profile-Index`]: '1',
      [`${prefix}-Profile-Created-Time`]: String(leg.createdUs),
      [`${prefix}-Channel-Created-Time`]: String(leg.createdUs),
      [`${prefix}-Channel-Answered-Time`]: String(leg.answeredUs),
      [`${prefix}-Channel-Progress-Time`]: '0',
      [`${prefix}-Channel-Progress-Media-Time`]: '0',
      [`${prefix}-Channel-Hangup-Time`]: '0',
      [`${prefix}-Channel-Transfer-Time`]: '0',
      [`${prefix}-Channel-Resurrect-Time`]: '0',
      [`${prefix}-Channel-Bridged-Time`]: leg.other ? String(leg.answeredUs) : '0',
      [`${prefix}-Channel-Last-Hold`]: '0',
      [`${prefix}-Channel-Hold-Accum`]: '0',
      [`${prefix}-Screen-Bit`]: 'true',
      [`${prefix}-Privacy-Hide-Name`]: 'false',
      [`${prefix}-Privacy-Hide-Number`]: 'false',
    };
  }

  /** A channel event with the headers FreeSWITCH gives it (see the files above). */
  channelEvent(name: string, leg: FsLeg): FsHeaders {
    const us = this.tickUs();
    const date = new Date(us / 1000);
    const [file, func, line] = CALLING[name] ?? ['switch_channel.c', 'switch_channel_event_set_data', 1];
    const hungUp = name === 'CHANNEL_HANGUP_COMPLETE';
    const headers: FsHeaders = {
      'Event-Name': name,
      'Core-UUID': CORE_UUID,
      'FreeSWITCH-Hostname': 'pbx1',
      'FreeSWITCH-Switchname': 'pbx1',
      'FreeSWITCH-IPv4': '10.0.0.5',
      'FreeSWITCH-IPv6': '::1',
      'Event-Date-Local': date.toISOString().slice(0, 19).replace('T', ' '),
      'Event-Date-GMT': date.toUTCString(),
      'Event-Date-Timestamp': String(us),
      'Event-Calling-File': file,
      'Event-Calling-Function': func,
      'Event-Calling-Line-Number': String(line),
      'Event-Sequence': String(++this.sequence),
      'Channel-State': hungUp ? 'CS_REPORTING' : 'CS_EXECUTE',
      'Channel-Call-State': hungUp ? 'HANGUP' : name === 'CHANNEL_HOLD' ? 'HELD' : 'ACTIVE',
      'Channel-State-Number': hungUp ? '11' : '4',
      'Channel-Name': leg.channelName,
      'Unique-ID': leg.uuid,
      'Call-Direction': leg.direction,
      'Presence-Call-Direction': leg.direction,
      'Channel-HIT-Dialplan': leg.direction === 'inbound' ? 'true' : 'false',
      'Channel-Call-UUID': leg.direction === 'inbound' ? leg.uuid : (leg.other?.uuid ?? leg.uuid),
      'Answer-State': hungUp ? 'hangup' : 'answered',
      ...(leg.hangupCause && { 'Hangup-Cause': leg.hangupCause }),
      'Channel-Read-Codec-Name': 'PCMA',
      'Channel-Read-Codec-Rate': '8000',
      'Channel-Read-Codec-Bit-Rate': '64000',
      'Channel-Write-Codec-Name': 'PCMA',
      'Channel-Write-Codec-Rate': '8000',
      'Channel-Write-Codec-Bit-Rate': '64000',
      ...this.profile('Caller', leg),
    };
    if (leg.other) {
      headers['Other-Type'] = leg.direction === 'outbound' ? 'originator' : 'originatee';
      Object.assign(headers, this.profile('Other-Leg', leg.other));
    }
    for (const [variable, value] of Object.entries(leg.variables)) headers[`variable_${variable}`] = value;
    return headers;
  }

  answer(leg: FsLeg): FsHeaders {
    leg.answeredUs = this.clockUs;
    return this.channelEvent('CHANNEL_ANSWER', leg);
  }
  hold(leg: FsLeg): FsHeaders {
    return this.channelEvent('CHANNEL_HOLD', leg);
  }
  unhold(leg: FsLeg): FsHeaders {
    return this.channelEvent('CHANNEL_UNHOLD', leg);
  }
  hangupComplete(leg: FsLeg, cause = 'NORMAL_CLEARING'): FsHeaders {
    leg.hangupCause = cause;
    return this.channelEvent('CHANNEL_HANGUP_COMPLETE', leg);
  }
}

export class FakeFreeswitch extends FsEventBuilder {
  readonly connections: FsConnection[] = [];
  /** Every command a client sent, in order (passwords as sent: the tests use throwaway ones). */
  readonly commands: string[] = [];
  readonly sent: FsHeaders[] = [];
  maxConcurrent = 0;
  /** `apply-inbound-acl` refuses the client's address: new connections get text/rude-rejection. */
  refuseByAcl = false;
  /** A host that is gone without closing its sockets: nothing is answered or sent any more. */
  silent = false;
  private replayNext: FsHeaders[] = [];
  private waiters: (() => void)[] = [];

  private constructor(
    private readonly server: Server,
    readonly host: string,
    readonly port: number,
    private readonly password: string,
  ) {
    super();
  }

  /** FREESWITCH_ESL for this fake. */
  get address(): string {
    return `${this.host}:${this.port}`;
  }

  static async start(options: { password: string }): Promise<FakeFreeswitch> {
    let fake: FakeFreeswitch | null = null;
    const server = createServer((socket) => fake?.accept(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    fake = new FakeFreeswitch(server, '127.0.0.1', port, options.password);
    return fake;
  }

  // ---- the wire --------------------------------------------------------------------------------

  /** The frame FreeSWITCH writes for an event: `lengthDelta` makes its Content-Length wrong. */
  static frame(headers: FsHeaders, lengthDelta = 0): Buffer {
    const body = Buffer.from(JSON.stringify(headers));
    return Buffer.concat([
      Buffer.from(`Content-Length: ${body.length + lengthDelta}\nContent-Type: text/event-json\n\n`),
      body,
    ]);
  }

  private subscribedConnections(name?: string): FsConnection[] {
    return this.connections.filter(
      (c) => c.closedAt === null && c.authed && (name === undefined || c.subscribed.has(name)),
    );
  }

  /** Sends events to every connection subscribed to them, as two writes each (header, body). While
   *  none is, they wait for the next subscription (after its replay). */
  send(...events: FsHeaders[]): void {
    for (const event of events) {
      this.sent.push(event);
      const frame = FakeFreeswitch.frame(event);
      const split = frame.indexOf('\n\n') + 2;
      const connections = this.subscribedConnections(event['Event-Name']);
      if (this.subscribedConnections().length === 0) this.replayNext.push(event);
      for (const c of connections) {
        c.socket.write(frame.subarray(0, split));
        c.socket.write(frame.subarray(split));
      }
    }
  }

  /** Writes bytes as they are to every authenticated connection (bad-input and chunking tests). */
  async writeRaw(bytes: Buffer, chunkSize = bytes.length): Promise<void> {
    for (const c of this.subscribedConnections()) {
      for (let i = 0; i < bytes.length; i += chunkSize) {
        c.socket.write(bytes.subarray(i, i + chunkSize));
        // A turn of the event loop between writes, so the client sees them as separate reads.
        if (chunkSize < bytes.length) await new Promise((resolve) => setTimeout(resolve, 1));
      }
    }
  }

  openCount(): number {
    return this.connections.filter((c) => c.closedAt === null).length;
  }

  /** Drops the connection(s) at once; the next one that subscribes first gets the last `replay` events again. */
  drop(replay = 0): void {
    this.replayNext = replay > 0 ? this.sent.slice(-replay) : [];
    for (const c of this.connections) {
      if (c.closedAt !== null) continue;
      c.closedAt = Date.now();
      c.socket.destroy();
    }
  }

  /** What a listener's end sends (FreeSWITCH shutting down, the module reloaded): a disconnect
   *  notice with its text as the body, then the socket closed. */
  disconnectAll(): void {
    const message = 'Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n';
    for (const c of this.connections) {
      if (c.closedAt !== null) continue;
      c.socket.write(
        `Content-Type: text/disconnect-notice\nContent-Length: ${Buffer.byteLength(message)}\n\n${message}`,
      );
      c.socket.end();
    }
  }

  /** Resolves once `n` connections have subscribed in all (and the n-th is still open). */
  async waitForSubscribed(n: number, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const subscribed = () => this.connections.filter((c) => c.subscribed.size > 0);
    while (subscribed().length < n || subscribed()[n - 1]?.closedAt !== null) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`fake FreeSWITCH: ${subscribed().length} subscription(s), waited for ${n}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    const connection: FsConnection = {
      socket,
      authed: false,
      subscribed: new Set(),
      openedAt: Date.now(),
      closedAt: null,
      buffer: '',
    };
    this.connections.push(connection);
    this.maxConcurrent = Math.max(this.maxConcurrent, this.openCount());
    socket.on('close', () => {
      connection.closedAt = Date.now();
    });
    socket.on('error', () => {});
    if (this.refuseByAcl) {
      const message = 'Access Denied, go away.\n';
      socket.end(`Content-Type: text/rude-rejection\nContent-Length: ${message.length}\n\n${message}`);
      return;
    }
    socket.on('data', (chunk) => {
      connection.buffer += chunk.toString('utf8');
      for (;;) {
        const end = connection.buffer.indexOf('\n\n');
        if (end < 0) break;
        const command = connection.buffer.slice(0, end).replace(/\r/g, '').trim();
        connection.buffer = connection.buffer.slice(end + 2);
        this.command(connection, command);
      }
    });
    socket.write('Content-Type: auth/request\n\n');
  }

  private reply(connection: FsConnection, text: string): void {
    connection.socket.write(`Content-Type: command/reply\nReply-Text: ${text}\n\n`);
  }

  private command(connection: FsConnection, command: string) {
    this.commands.push(command);
    if (this.silent) return;
    if (command === 'exit') {
      this.reply(connection, '+OK bye');
      connection.socket.end();
      return;
    }
    if (!connection.authed) {
      if (command.startsWith('auth ') && command.slice(5) === this.password) {
        connection.authed = true;
        this.reply(connection, '+OK accepted');
      } else {
        this.reply(connection, '-ERR invalid');
        connection.socket.end();
      }
      return;
    }
    const words = command.split(' ');
    if (words[0] === 'api') {
      // api_exec: the command's output as an api/response body (uptime: seconds, as a number).
      const body = words[1] === 'uptime' ? '86400\n' : '-ERR no reply\n';
      connection.socket.write(`Content-Type: api/response\nContent-Length: ${Buffer.byteLength(body)}\n\n${body}`);
      return;
    }
    if (words[0] === 'event') {
      const names = words.slice(1).filter((w) => !['json', 'plain', 'xml'].includes(w));
      if (names.length === 0) return this.reply(connection, '-ERR no keywords supplied');
      for (const name of names) connection.subscribed.add(name);
      this.reply(connection, `+OK event listener enabled ${words[1] === 'json' ? 'json' : 'plain'}`);
      const replay = this.replayNext;
      this.replayNext = [];
      for (const event of replay) connection.socket.write(FakeFreeswitch.frame(event));
      const waiters = this.waiters;
      this.waiters = [];
      for (const wake of waiters) wake();
      return;
    }
    this.reply(connection, '-ERR command not found');
  }
}
