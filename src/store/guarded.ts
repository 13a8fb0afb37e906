/**
 * The store as the service uses it: every call's error is classified once (faults.ts). A fault
 * marks the store down (health.ts) and becomes a coded error, 503 with Retry-After or 507, that
 * every route answers as problem+json; any other error passes unchanged (a bug stays a logged
 * 500). A call that succeeds while the store is down has the health confirm recovery.
 */
import { StoreDiskFull, StoreUnavailable } from '../errors.js';
import { classifyStoreError } from './faults.js';
import type { StoreHealth } from './health.js';
import type { CallStore } from './types.js';

/** Not guarded: closing is the service's own doing, and `watch` runs once, at start-up. */
const UNGUARDED = new Set(['close', 'watch']);

export type GuardedStore = CallStore & {
  /** The store itself, unguarded (the health's probe; tests reach backend-specific parts). */
  readonly inner: CallStore;
};

/** The error a caller sees for a store error: a coded fault, or the error itself. */
export function asStoreFault(error: unknown, health?: StoreHealth): unknown {
  if (error instanceof StoreUnavailable || error instanceof StoreDiskFull) return error;
  const kind = classifyStoreError(error);
  if (!kind) return error;
  health?.failed(kind);
  return kind === 'disk-full' ? new StoreDiskFull({ cause: error }) : new StoreUnavailable(kind, { cause: error });
}

/** True for the coded errors of a store fault (callers that log keep quiet about them). */
export function isStoreFault(error: unknown): error is StoreUnavailable | StoreDiskFull {
  return error instanceof StoreUnavailable || error instanceof StoreDiskFull;
}

/**
 * Every method of the store (whatever the contract grows to), wrapped. The wrapping costs one
 * async frame per store call; the event path makes one commit per batch.
 */
export function guardStore(store: CallStore, health: StoreHealth): GuardedStore {
  const guarded: Record<string, unknown> = { ...store, inner: store };
  for (const [name, member] of Object.entries(store)) {
    if (typeof member !== 'function' || UNGUARDED.has(name)) continue;
    const method = member as (...args: unknown[]) => Promise<unknown>;
    guarded[name] = async (...args: unknown[]) => {
      let result: unknown;
      try {
        result = await method.apply(store, args);
      } catch (error) {
        throw asStoreFault(error, health);
      }
      health.succeeded();
      return result;
    };
  }
  return guarded as unknown as GuardedStore;
}
