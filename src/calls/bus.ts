/** In-process fan-out of committed changes to stream subscribers, per call. */
import type { CallView } from './view.js';

export type ChangeListener = (view: CallView) => void;

export class ChangeBus {
  private readonly listeners = new Map<string, Set<ChangeListener>>();

  subscribe(callId: string, listener: ChangeListener): () => void {
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

  publish(view: CallView): void {
    const set = this.listeners.get(view.callId);
    if (!set) return;
    for (const listener of set) listener(view);
  }

  get subscriberCount(): number {
    let n = 0;
    for (const set of this.listeners.values()) n += set.size;
    return n;
  }
}
