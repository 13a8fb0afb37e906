/**
 * A call's changes after a version, as an async iterator: what an SSE stream (or any other
 * subscriber) sends. The one place where gaps are filled: a change this process committed
 * arrives with its view; one committed elsewhere, or one the consumer fell behind on, is read
 * from the history. It holds at most one view and a few notes, so a slow consumer costs
 * bounded memory: it just reads more history when it catches up.
 */
import type { BusMessage, ChangeBus } from './bus.js';
import type { CallView } from './view.js';

export type StreamMessage = { event: 'call'; view: CallView } | { event: string; data: unknown };

export interface CallStreamSource {
  bus: ChangeBus;
  /** The call's current view (throws CallNotFound). */
  getView(callId: string): Promise<CallView>;
  /** The call as it stood after each change past `version`, oldest first. */
  viewsAfter(callId: string, version: number): Promise<CallView[]>;
}

/** Notes (suggestions) a consumer may lag behind on before the oldest are dropped. */
const MAX_PENDING_NOTES = 32;

/**
 * Every change after `afterVersion`, then live ones; with `afterVersion` null, the current view
 * first. Ends when `signal` aborts.
 */
export async function* callStream(
  source: CallStreamSource,
  callId: string,
  afterVersion: number | null,
  signal: AbortSignal,
): AsyncGenerator<StreamMessage> {
  let latest: CallView | null = null;
  let latestVersion = -1;
  const notes: StreamMessage[] = [];
  let wake: (() => void) | null = null;
  const listener = (message: BusMessage) => {
    if (message.kind === 'view') {
      if (message.view.version > latestVersion) {
        latest = message.view;
        latestVersion = message.view.version;
      }
    } else if (message.kind === 'version') {
      latestVersion = Math.max(latestVersion, message.version);
    } else {
      notes.push({ event: message.event, data: message.data });
      if (notes.length > MAX_PENDING_NOTES) notes.shift();
    }
    wake?.();
  };
  const onAbort = () => wake?.();
  // Subscribe before reading, so nothing committed in between is missed; versions dedupe.
  const unsubscribe = source.bus.subscribe(callId, listener);
  signal.addEventListener('abort', onAbort);
  try {
    const current = await source.getView(callId);
    latestVersion = Math.max(latestVersion, current.version);
    let sent = afterVersion ?? -1;
    if (afterVersion === null) {
      yield { event: 'call', view: current };
      sent = current.version;
    }
    while (!signal.aborted) {
      while (notes.length > 0 && !signal.aborted) yield notes.shift() as StreamMessage;
      if (latestVersion > sent) {
        const next = latest as CallView | null;
        if (next !== null && next.version === sent + 1) {
          sent = next.version;
          yield { event: 'call', view: next };
        } else {
          for (const view of await source.viewsAfter(callId, sent)) {
            if (view.version <= sent || signal.aborted) continue;
            sent = view.version;
            yield { event: 'call', view };
          }
          // Nothing newer in the history yet (a notification ahead of its read): wait for more.
          if (latestVersion > sent) latestVersion = sent;
        }
        continue;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = null;
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    unsubscribe();
  }
}
