/**
 * The escalation changes after a position of the log, then live ones, as an async iterator (what
 * the SSE route sends). It holds no changes of its own: woken by a local commit or another node's
 * notification, it reads the log after the last change it gave out, a page at a time, so a slow
 * consumer costs no memory; it reads more when it catches up.
 */
import type { Escalation } from './schema.js';

export interface EscalationChange {
  seq: number;
  escalation: Escalation;
}

export interface ChangeSource {
  /** The log's latest seq (0 when empty). */
  head(): Promise<number>;
  /** Up to `limit` changes after `seq`, in order. */
  changesAfter(seq: number, limit: number): Promise<EscalationChange[]>;
  /** Calls `wake` whenever the log may have grown; returns the unsubscribe. */
  onChange(wake: () => void): () => void;
}

export type StreamItem = { kind: 'ready'; seq: number } | { kind: 'change'; change: EscalationChange };

const PAGE = 100;

/**
 * With `after` null: a `ready` item naming the log's head, then every change after it. With a
 * number: every change after it (a position past the head, from another database, resumes at
 * the head with a `ready`). Ends when `signal` aborts.
 */
export async function* escalationStream(
  source: ChangeSource,
  after: number | null,
  signal: AbortSignal,
): AsyncGenerator<StreamItem> {
  let dirty = true;
  let wake: (() => void) | null = null;
  const onWake = () => {
    dirty = true;
    wake?.();
  };
  // Subscribe before reading the head, so a change committed in between is not missed.
  const unsubscribe = source.onChange(onWake);
  signal.addEventListener('abort', onWake);
  try {
    const head = await source.head();
    let sent = after ?? head;
    if (after === null || after > head) {
      sent = head;
      yield { kind: 'ready', seq: head };
    }
    while (!signal.aborted) {
      if (dirty) {
        dirty = false;
        for (;;) {
          const page = await source.changesAfter(sent, PAGE);
          for (const change of page) {
            if (signal.aborted) return;
            sent = change.seq;
            yield { kind: 'change', change };
          }
          if (page.length < PAGE) break;
        }
        continue;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = null;
    }
  } finally {
    signal.removeEventListener('abort', onWake);
    unsubscribe();
  }
}
