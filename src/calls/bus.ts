/**
 * In-process fan-out to a call's stream subscribers: changes committed here (with their view),
 * changes committed by another process (their version only: the subscriber reads them from the
 * history), and passing messages that are not changes (transcript suggestions).
 */
import type { CallView } from './view.js';

export type BusMessage =
  | { kind: 'view'; view: CallView }
  | { kind: 'version'; version: number }
  | { kind: 'note'; event: string; data: unknown };

export type BusListener = (message: BusMessage) => void;

export class ChangeBus {
  private readonly listeners = new Map<string, Set<BusListener>>();

  subscribe(callId: string, listener: BusListener): () => void {
    let set = this.listeners.get(callId);
    if (!set) {
      set = new Set();
      this.listeners.set(callId, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      // Only our own set: a second call after the set was dropped and a new subscriber made a
      // new one must not drop that subscriber.
      if (set.size === 0 && this.listeners.get(callId) === set) this.listeners.delete(callId);
    };
  }

  hasSubscribers(callId: string): boolean {
    return this.listeners.has(callId);
  }

  /** A change committed by this process. */
  publish(view: CallView): void {
    this.send(view.callId, { kind: 'view', view });
  }

  send(callId: string, message: BusMessage): void {
    const set = this.listeners.get(callId);
    if (!set) return;
    for (const listener of set) listener(message);
  }

  get subscriberCount(): number {
    let n = 0;
    for (const set of this.listeners.values()) n += set.size;
    return n;
  }
}
