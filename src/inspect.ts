/**
 * Opt-in XState inspection (INSPECT_URL): every call this process creates or changes is
 * reported to a WebSocket inspector (@statelyai/inspect's protocol: `@xstate.actor` once per
 * call, then `@xstate.event` and `@xstate.snapshot` per applied event, timer firings included).
 *
 * Calls run as pure transitions, not live actors, so there is no actor to attach
 * `inspector.inspect` to; the bridge reports each committed change itself, with the call id as
 * the actor's session id. Customer names never leave the process (SPEC §5): they are replaced
 * before anything is sent.
 *
 * The events are built by the package's createInspector; the socket is our own small adapter
 * rather than createWebSocketInspector's: in 0.7.2 that one reconnects and flushes its buffer
 * about 5 s after stop() when a socket error happened (seen here: a stopped inspector connected
 * to a receiver that came up later), which would keep a closed service's process alive.
 */
import { createInspector, type StatelyInspectionEvent } from '@statelyai/inspect';
import WebSocket from 'ws';
import type { ActorRefLike, AnyEventObject, StateValue } from 'xstate';
import { type CallLimits, createCallMachine } from '../machines/call.machine.js';
import type { ServiceHooks } from './calls/service.js';
import type { CallView } from './calls/view.js';

export const REDACTED = '[redacted]';

export interface InspectorBridge extends ServiceHooks {
  /** Stops reporting and closes the socket (pending messages are sent first). */
  close(): void;
}

export interface InspectorOptions {
  url: string;
  limits: CallLimits;
  /** Told when reporting fails or the socket is lost (once per outage); reporting never fails an event. */
  onError?: (error: unknown) => void;
  /** Messages kept while the inspector is unreachable; the oldest go first. */
  maxQueued?: number;
}

/**
 * The inspector's socket: queues while connecting, reconnects with backoff while running, and
 * once stopped neither reconnects nor keeps the process alive.
 */
export class InspectorSocket {
  private ws: WebSocket | null = null;
  private queue: string[] = [];
  private stopped = false;
  private retry: NodeJS.Timeout | null = null;
  private delayMs = 250;
  private reported = false;

  constructor(
    private readonly url: string,
    private readonly maxQueued: number,
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  start(): void {
    if (!this.stopped && !this.ws && !this.retry) this.connect();
  }

  send(event: StatelyInspectionEvent): void {
    if (this.stopped) return;
    const message = JSON.stringify(event);
    if (this.ws?.readyState === WebSocket.OPEN) {
      this.ws.send(message);
      return;
    }
    this.queue.push(message);
    if (this.queue.length > this.maxQueued) this.queue.shift();
  }

  /** Closes after what was already sent (a queue still waiting for a connection is dropped); no reconnection after this. */
  stop(): void {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    const ws = this.ws;
    this.ws = null;
    this.queue = [];
    if (!ws) return;
    if (ws.readyState === WebSocket.OPEN) ws.close(1000);
    else ws.terminate();
  }

  private connect(): void {
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.on('open', () => {
      this.delayMs = 250;
      this.reported = false;
      for (const message of this.queue.splice(0)) ws.send(message);
    });
    ws.on('error', (error) => {
      if (!this.stopped && !this.reported) this.onError(error);
      this.reported = true;
    });
    ws.on('close', () => {
      if (this.ws === ws) this.ws = null;
      if (this.stopped) return;
      this.retry = setTimeout(() => {
        this.retry = null;
        this.connect();
      }, this.delayMs);
      this.retry.unref();
      this.delayMs = Math.min(this.delayMs * 2, 5_000);
    });
  }
}

/** ["conversation.dialogue.talking", …] or "hold" back into an XState state value. */
export function stateValueOf(state: string | string[]): StateValue {
  const paths = Array.isArray(state) ? state : [state];
  const first = paths[0];
  if (paths.length === 1 && first !== undefined && !first.includes('.')) return first;
  const root: Record<string, StateValue> = {};
  for (const path of paths) {
    const parts = path.split('.');
    let node = root;
    for (const part of parts.slice(0, -2)) {
      if (typeof node[part] !== 'object') node[part] = {};
      node = node[part] as Record<string, StateValue>;
    }
    node[parts.at(-2) as string] = parts.at(-1) as string;
  }
  return root;
}

function redactName(customer: CallView['customer']) {
  if (!customer) return null;
  return { firstName: REDACTED, ...(customer.patronymic === undefined ? {} : { patronymic: REDACTED }) };
}

/** The inspected snapshot of a call, from its view (no names). */
export function inspectedSnapshot(view: CallView) {
  return {
    status: view.status === 'ended' ? ('done' as const) : ('active' as const),
    value: stateValueOf(view.state),
    context: {
      customer: redactName(view.customer),
      repeats: view.counters.repeats,
      connectionAttempts: view.counters.connectionAttempts,
      warnings: view.counters.warnings,
      skippedFields: view.skippedFields,
      endReason: view.endReason,
    },
  };
}

/** The machine event without personal data (customer.identified carries the name). */
function redactEvent(event: object): AnyEventObject {
  const copy = { ...event } as AnyEventObject;
  for (const key of ['firstName', 'patronymic']) if (key in copy) copy[key] = REDACTED;
  return copy;
}

export function createInspectorHooks(options: InspectorOptions): InspectorBridge {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new Error(`INSPECT_URL must be a ws:// or wss:// URL, got "${options.url}"`);
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new Error(`INSPECT_URL must be a ws:// or wss:// URL, got "${options.url}"`);
  }
  const machine = createCallMachine(options.limits);
  const socket = new InspectorSocket(options.url, options.maxQueued ?? 1000, options.onError);
  // The definition is serialised with a depth limit (10 by default), which cut the deeper
  // states of ours to "[Object]"; the viewer needs all of it.
  const inspector = createInspector(socket, { serializationDepthLimit: 100 });
  inspector.start();
  /** Calls whose actor the inspector has been told about (active ones only: bounded). */
  const registered = new Set<string>();
  let closed = false;

  const guarded =
    <A extends unknown[]>(fn: (...args: A) => void) =>
    (...args: A) => {
      if (closed) return;
      try {
        fn(...args);
      } catch (error) {
        options.onError?.(error);
      }
    };

  /** The inspector serialises `logic.config` as the definition the viewer draws. */
  const actorOf = (callId: string) =>
    ({ sessionId: callId, id: callId, logic: { config: machine.config } }) as unknown as ActorRefLike;

  const register = (callId: string, view: CallView) => {
    registered.add(callId);
    inspector.actor(actorOf(callId), inspectedSnapshot(view));
  };

  return {
    onCreated: guarded(({ callId, view }) => register(callId, view)),

    onApplied: guarded(({ callId, view, event }) => {
      // A call created before this process started (or by another node) is registered late.
      if (!registered.has(callId)) register(callId, view);
      const inspected = redactEvent(event);
      inspector.event(callId, inspected);
      inspector.snapshot(callId, inspectedSnapshot(view), { event: inspected });
      if (view.status === 'ended') registered.delete(callId);
    }),

    close() {
      if (closed) return;
      closed = true;
      registered.clear();
      inspector.stop();
    },
  };
}

/** Several observers as one: each hook calls every list member's hook in turn. */
export function combineHooks(...list: (ServiceHooks | null | undefined)[]): ServiceHooks {
  const present = list.filter((hooks): hooks is ServiceHooks => Boolean(hooks));
  if (present.length <= 1) return present[0] ?? {};
  return {
    onApplied: (info) => {
      for (const hooks of present) hooks.onApplied?.(info);
    },
    onCreated: (info) => {
      for (const hooks of present) hooks.onCreated?.(info);
    },
    onJobScheduled: (dueAt) => {
      for (const hooks of present) hooks.onJobScheduled?.(dueAt);
    },
    onTimerFired: (latenessMs) => {
      for (const hooks of present) hooks.onTimerFired?.(latenessMs);
    },
    onBatch: (size, seconds) => {
      for (const hooks of present) hooks.onBatch?.(size, seconds);
    },
  };
}
