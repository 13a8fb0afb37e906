/**
 * An inbound event socket connection (mod_event_socket.c): FreeSWITCH sends `auth/request`, we
 * answer `auth PASSWORD`, it replies `command/reply` `+OK accepted` (or `-ERR invalid` and hangs
 * up); then `event json …` subscribes, and events arrive as `text/event-json` frames.
 * Reconnects with backoff; a connection that has not finished the handshake in 10 s is dropped.
 * Once subscribed it asks `api uptime` every 20 s (answered as `api/response`, in order with the
 * events): a PBX host that vanished without closing the socket is noticed at the next probe, not
 * after TCP keepalive's minutes.
 */
import { connect, type Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import type { FreeswitchConfig } from '../../config.js';
import type { Backoff } from '../backoff.js';
import { ReconnectingClient } from '../reconnecting-client.js';
import type { FreeswitchEvents } from './events.js';
import { type EslFrame, EslFrameParser } from './frames.js';
import { FS_EVENT_NAMES } from './model.js';

export const SUBSCRIBE_COMMAND = `event json ${FS_EVENT_NAMES.join(' ')}`;

type Phase = 'greeting' | 'auth' | 'subscribe' | 'events';

export interface EslClientOptions {
  backoff?: Backoff;
  handshakeTimeoutMs?: number;
  /** How often a subscribed connection is probed; no answer by the next probe drops it. */
  probeMs?: number;
}

export class EslClient extends ReconnectingClient {
  private socket: Socket | null = null;

  constructor(
    private readonly config: FreeswitchConfig,
    private readonly events: FreeswitchEvents,
    log: FastifyBaseLogger,
    private readonly options: EslClientOptions = {},
  ) {
    super('freeswitch', log, (type, error) => events.failed(type, error), options);
  }

  protected closeConnection(): void {
    if (this.socket?.writable) this.socket.end('exit\n\n');
    this.socket?.destroySoon();
  }

  protected connectOnce(): Promise<void> {
    return new Promise((resolve) => {
      const socket = connect({ host: this.config.host, port: this.config.port });
      this.socket = socket;
      socket.setNoDelay(true);
      // Keepalive as well as the probe: the kernel also notices a dead peer before any handshake.
      socket.setKeepAlive(true, 10_000);
      let phase: Phase = 'greeting';
      let failure: string | null = null;
      const fail = (message: string) => {
        failure = message;
        this.statusHolder.error(message);
        socket.destroy();
      };
      const handshake = setTimeout(
        () => fail('no answer to the event socket handshake within 10 s'),
        this.options.handshakeTimeoutMs ?? 10_000,
      );
      const send = (command: string) => socket.write(`${command}\n\n`);
      let probe: NodeJS.Timeout | null = null;
      let probeAnswered = true;
      const probeMs = this.options.probeMs ?? 20_000;

      const parser = new EslFrameParser({
        malformed: (reason) => this.events.malformed(reason),
        frame: (frame: EslFrame) => {
          const type = frame.headers['Content-Type'];
          const reply = frame.headers['Reply-Text'] ?? '';
          if (type === 'text/event-json' && phase === 'events') return this.onEvent(frame.json);
          if (type === 'api/response') {
            probeAnswered = true;
            return;
          }
          if (type === 'text/disconnect-notice') return void socket.end();
          if (type === 'text/rude-rejection') return fail('FreeSWITCH refused this address (event socket ACL)');
          if (phase === 'greeting' && type === 'auth/request') {
            phase = 'auth';
            return void send(`auth ${this.config.password}`);
          }
          if (phase === 'auth' && type === 'command/reply') {
            if (!reply.startsWith('+OK')) return fail('FreeSWITCH refused the password (FREESWITCH_PASSWORD)');
            phase = 'subscribe';
            return void send(SUBSCRIBE_COMMAND);
          }
          if (phase === 'subscribe' && type === 'command/reply') {
            if (!reply.startsWith('+OK')) return fail(`FreeSWITCH refused the subscription: ${reply.slice(0, 100)}`);
            phase = 'events';
            clearTimeout(handshake);
            this.connected();
            probe = setInterval(() => {
              if (!probeAnswered) return fail(`no answer from FreeSWITCH within ${probeMs} ms`);
              probeAnswered = false;
              send('api uptime');
            }, probeMs);
            this.log.info({ adapter: 'freeswitch' }, 'FreeSWITCH event socket connected');
          }
          // Anything else (a reply we did not ask for) means nothing here.
        },
      });
      socket.on('data', (chunk: Buffer) => parser.push(chunk));
      socket.on('error', (error) => this.statusHolder.error(error.message));
      socket.on('close', () => {
        clearTimeout(handshake);
        if (probe) clearInterval(probe);
        if (this.socket === socket) this.socket = null;
        this.closed(failure ?? 'connection closed');
        resolve();
      });
    });
  }

  private onEvent(json: Record<string, unknown> | undefined): void {
    const parsed = this.events.parse(json);
    if (!parsed.ok) {
      this.events.malformed(parsed.reason);
      return;
    }
    const { event } = parsed;
    this.queue?.push(event['Event-Name'], async () => {
      await this.events.handle(event);
    });
  }
}
