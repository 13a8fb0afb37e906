/**
 * Runs the call machine as a pure function: persisted snapshot + event in, next snapshot and
 * everything the step asks for (prompts, effects, timer changes) out, as data. The server
 * owns all I/O; this file owns the mapping from XState's action objects to that data.
 */
import { type AnyActorScope, createActor, type SnapshotFrom } from 'xstate';
import { CALL_EVENT_TYPES, type CallEvent, type CallEventType, sampleEvent } from './call.events.js';
import {
  type CallContext,
  type CallInput,
  type CallLimits,
  createCallMachine,
  DEFAULT_LIMITS,
  DELAY_TIMER_NAMES,
  type PromptKey,
} from './call.machine.js';

export type CallSnapshot = SnapshotFrom<ReturnType<typeof createCallMachine>>;
/** The JSON form of a snapshot, as stored. Deep history is kept as state-node ids. */
export type PersistedCall = Record<string, unknown>;

/** A side effect of a step. The service gives each escalation its id before the change is committed. */
export type Effect = { type: 'supervisor.escalation'; topic: string; id?: string };

/** A delayed machine event: armed (due after `delayMs`) or cancelled, keyed by `id`. */
export type TimerChange =
  | { op: 'arm'; id: string; name: string; event: { type: string }; delayMs: number }
  | { op: 'cancel'; id: string };

export interface Step {
  snapshot: CallSnapshot;
  prompts: PromptKey[];
  effects: Effect[];
  timers: TimerChange[];
}

type ExecutableAction = { type: string; params?: unknown };

const API_EVENTS = new Set<string>(CALL_EVENT_TYPES);

export function createCallRuntime(limits: CallLimits = DEFAULT_LIMITS) {
  const machine = createCallMachine(limits);
  // One scope for every step: building one per call of xstate's transition() helper costs
  // an actor construction each time (about 10x the transition itself).
  const collected: ExecutableAction[] = [];
  const self = createActor(machine, { input: {} });
  const scope = {
    self,
    id: '',
    sessionId: '',
    system: self.system,
    defer: () => {},
    logger: () => {},
    stopChild: () => {},
    emit: () => {},
    actionExecutor: (action: ExecutableAction) => {
      collected.push(action);
    },
  } as unknown as AnyActorScope;

  const allowedByState = new Map<string, CallEventType[]>();
  // The same, by the state value object itself: xstate keeps a snapshot's value object when a
  // step does not change the state, and a cached call's stored value is that object, so most
  // lookups skip the JSON key.
  const allowedByValue = new WeakMap<object, CallEventType[]>();

  function drain(snapshot: CallSnapshot): Step {
    const step: Step = { snapshot: compact(snapshot), prompts: [], effects: [], timers: [] };
    for (const action of collected) {
      const params = action.params as Record<string, unknown> | undefined;
      switch (action.type) {
        case 'say':
          step.prompts.push(params?.key as PromptKey);
          break;
        case 'escalateToSupervisor':
          step.effects.push({ type: 'supervisor.escalation', topic: String(params?.topic ?? '') });
          break;
        case 'xstate.raise':
          if (params && typeof params.delay === 'number') {
            const event = params.event as { type: string };
            step.timers.push({
              op: 'arm',
              id: String(params.id),
              name: timerName(event.type),
              event,
              delayMs: params.delay,
            });
          }
          break;
        case 'xstate.cancel':
          step.timers.push({ op: 'cancel', id: String(params?.sendId) });
          break;
      }
    }
    collected.length = 0;
    return step;
  }

  return {
    machine,
    limits,

    /** A new call: the greeting state and its prompt. */
    start(input: CallInput = {}): Step {
      collected.length = 0;
      return drain(machine.getInitialSnapshot(scope, input));
    },

    restore,

    /**
     * The stored form: what machine.getPersistedSnapshot keeps of a snapshot (the call machine
     * has no child actors and no actor refs in its context), without copying every other
     * field of the snapshot first (a third of a step's cost). Deep history becomes state-node
     * ids; a test holds this equal to getPersistedSnapshot.
     */
    persist(snapshot: CallSnapshot): PersistedCall {
      return {
        value: snapshot.value,
        context: snapshot.context,
        status: snapshot.status,
        historyValue: persistHistory(snapshot.historyValue as unknown as Record<string, { id: string }[]>),
      };
    },

    /** Whether the script allows this event now (SPEC §2 "What may happen when"). */
    allows(snapshot: CallSnapshot, event: CallEvent | { type: string }): boolean {
      if (snapshot.status !== 'active') return false;
      // For API events the per-state list is exact (see allowedEvents) and saves computing
      // the step twice; internal (delayed) events are asked of the machine.
      return API_EVENTS.has(event.type)
        ? allowedEvents(snapshot).includes(event.type as CallEventType)
        : snapshot.can(event as CallEvent);
    },

    /** Applies an event the caller has checked with `allows` (or a due timer's event). */
    apply(snapshot: CallSnapshot, event: CallEvent | { type: string }): Step {
      collected.length = 0;
      // An ended call is final: nothing may change it, whatever the caller checked.
      if (snapshot.status !== 'active') return { snapshot, prompts: [], effects: [], timers: [] };
      return drain(machine.transition(snapshot, event as CallEvent, scope) as CallSnapshot);
    },

    /** allowedEvents for a stored snapshot, restoring it only the first time its state is seen. */
    allowedEventsOf(persisted: PersistedCall): CallEventType[] {
      if (persisted.status !== 'active') return [];
      return knownAllowed(persisted.value) ?? allowedEvents(restore(persisted));
    },

    allowedEvents,
  };

  function restore(persisted: PersistedCall): CallSnapshot {
    // restoreSnapshot, not resolveState: only it revives deep history (the place a hold
    // or a connection episode returns to) from stored ids into state nodes.
    return compact(machine.restoreSnapshot({ ...persisted, children: {} } as never, scope) as CallSnapshot);
  }

  /** The API events allowed now. Guards never block an event outright here (the limit
   *  branches end the call instead), so the state value alone decides. */
  function allowedEvents(snapshot: CallSnapshot): CallEventType[] {
    if (snapshot.status !== 'active') return [];
    let allowed = knownAllowed(snapshot.value);
    if (!allowed) {
      allowed = CALL_EVENT_TYPES.filter((type) => snapshot.can(sampleEvent(type)));
      allowedByState.set(JSON.stringify(snapshot.value), allowed);
    }
    return allowed;
  }

  function knownAllowed(value: unknown): CallEventType[] | undefined {
    if (typeof value !== 'object' || value === null) return allowedByState.get(JSON.stringify(value));
    let allowed = allowedByValue.get(value);
    if (!allowed) {
      allowed = allowedByState.get(JSON.stringify(value));
      if (allowed) allowedByValue.set(value, allowed);
    }
    return allowed;
  }
}

export type CallRuntime = ReturnType<typeof createCallRuntime>;

/** The parts of an xstate snapshot that `compact` may replace by an equal shared copy. */
interface SnapshotParts {
  value: unknown;
  _nodes: unknown[];
  tags: Set<string>;
  children: Record<string, unknown>;
  historyValue: Record<string, unknown>;
}

const EMPTY_TAGS: Set<string> = Object.freeze(new Set<string>()) as Set<string>;
const EMPTY_RECORD: Record<string, unknown> = Object.freeze({});
/** One frozen copy of each state value seen: a machine has few configurations. */
const sharedValues = new Map<string, object>();
const isShared = new WeakSet<object>();
/** The active state nodes of a shared value, in xstate's order. */
const nodesOfValue = new WeakMap<object, unknown[]>();

/**
 * Replaces a snapshot's state value, active-node list, empty tags, children and history by
 * shared frozen copies, so a cached call holds only its own context. Per call that is about
 * 870 bytes less heap (ADR 7). xstate treats snapshots as immutable and copies what it
 * changes (history, children), and the copies are equal and in the same order, so the next
 * step computes exactly what it would have; freezing makes any write a TypeError.
 */
function compact(snapshot: CallSnapshot): CallSnapshot {
  const parts = snapshot as unknown as SnapshotParts;
  const value = parts.value;
  if (typeof value === 'object' && value !== null) {
    let shared = value;
    if (!isShared.has(value)) {
      const key = JSON.stringify(value);
      shared = sharedValues.get(key) ?? value;
      if (shared === value) {
        sharedValues.set(key, deepFreeze(value));
        isShared.add(value);
        nodesOfValue.set(value, Object.freeze(parts._nodes) as unknown[]);
      }
      parts.value = shared;
    }
    const nodes = nodesOfValue.get(shared);
    if (nodes && nodes !== parts._nodes && sameOrder(nodes, parts._nodes)) parts._nodes = nodes;
  }
  if (parts.tags.size === 0) parts.tags = EMPTY_TAGS;
  if (isEmpty(parts.children)) parts.children = EMPTY_RECORD;
  if (isEmpty(parts.historyValue)) parts.historyValue = EMPTY_RECORD;
  return snapshot;
}

function sameOrder(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function isEmpty(record: object): boolean {
  for (const _ in record) return false;
  return true;
}

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) if (typeof child === 'object' && child !== null) deepFreeze(child);
  return Object.freeze(value);
}

/** Deep history as xstate persists it: per history node, the ids of the states it remembers.
 *  xstate replaces the history object only when a step records history, so most steps reuse
 *  the last result. */
const persistedHistory = new WeakMap<object, Record<string, { id: string }[]>>();
function persistHistory(history: Record<string, { id: string }[]>): Record<string, { id: string }[]> {
  if (typeof history !== 'object' || history === null) return {};
  let persisted = persistedHistory.get(history);
  if (!persisted) {
    persisted = {};
    for (const key in history) {
      const nodes = history[key];
      if (Array.isArray(nodes)) persisted[key] = nodes.map((node) => ({ id: node.id }));
    }
    persistedHistory.set(history, persisted);
  }
  return persisted;
}

/** `xstate.after.holdCheck.call.hold` -> `hold.check`: the name clients see for a timer. */
export function timerName(eventType: string): string {
  const delay = eventType.split('.')[2] as keyof typeof DELAY_TIMER_NAMES;
  return eventType.startsWith('xstate.after.') && delay in DELAY_TIMER_NAMES ? DELAY_TIMER_NAMES[delay] : eventType;
}

/** The active state as dotted paths: one string, or one per region running in parallel. */
export function statePaths(snapshot: CallSnapshot): string | string[] {
  return pathsOfValue(snapshot.value);
}

/** Same as statePaths, from a stored state value (no machine needed). Computed once per value
 *  object (a cached call's value is xstate's, reused by every step that keeps the state). */
export function pathsOfValue(value: unknown): string | string[] {
  if (typeof value !== 'object' || value === null) return computePaths(value);
  let paths = pathsByValue.get(value);
  if (paths === undefined) {
    paths = computePaths(value);
    if (Array.isArray(paths)) Object.freeze(paths);
    pathsByValue.set(value, paths);
  }
  return paths;
}

const pathsByValue = new WeakMap<object, string | string[]>();

function computePaths(value: unknown): string | string[] {
  const paths: string[] = [];
  const walk = (node: unknown, prefix: string) => {
    if (typeof node === 'string') {
      paths.push(prefix + node);
      return;
    }
    for (const [key, child] of Object.entries(node as Record<string, unknown>)) walk(child, `${prefix}${key}.`);
  };
  walk(value, '');
  // Sorted: stored JSON may not keep key order (PostgreSQL jsonb does not), clients compare arrays.
  paths.sort();
  return paths.length === 1 ? (paths[0] as string) : paths;
}

export function counters(context: CallContext) {
  return { repeats: context.repeats, connectionAttempts: context.connectionAttempts, warnings: context.warnings };
}
