// @ts-check
/**
 * The open queue: escalations that are open or acknowledged, from the first lists and then the
 * stream's changes, in whatever order they arrive. A record never goes back in its lifecycle
 * (open → acknowledged → resolved), so an older copy (a list read while the stream moved on) is
 * dropped, and a resolved one never comes back.
 */

/** @import { Escalation } from '../types.js' */

const RANK = { open: 0, acknowledged: 1, resolved: 2 };

export class Queue {
  /** @type {Map<string, Escalation>} */
  #items = new Map();
  /** @type {Set<string>} ids seen resolved */
  #gone = new Set();

  /**
   * Takes one copy of an escalation.
   * @param {Escalation} escalation
   * @returns {'new' | 'changed' | 'removed' | 'stale'} what it did to the queue
   */
  apply(escalation) {
    const { id } = escalation;
    if (this.#gone.has(id)) return 'stale';
    const known = this.#items.get(id);
    if (known && RANK[known.status] > RANK[escalation.status]) return 'stale';
    if (escalation.status === 'resolved') {
      this.#gone.add(id);
      return this.#items.delete(id) ? 'removed' : 'stale';
    }
    if (known && known.status === escalation.status) return 'stale';
    this.#items.set(id, escalation);
    return known ? 'changed' : 'new';
  }

  /** @param {string} id */
  get(id) {
    return this.#items.get(id);
  }

  /** Longest waiting first: the queue is worked from the top. */
  list() {
    return [...this.#items.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  get openCount() {
    let n = 0;
    for (const e of this.#items.values()) if (e.status === 'open') n++;
    return n;
  }
}
