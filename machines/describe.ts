/**
 * The statechart as plain JSON (GET /v1/machine): enough to draw it without XState: every
 * state node, every transition with its event, guard, delay, target and prompts.
 */
import type { AnyStateNode } from 'xstate';
import { CALL_EVENT_TYPES, type CallEventType, EVENT_DATA } from './call.events.js';
import type { CallLimits, CallMachine } from './call.machine.js';
import { DELAY_TIMER_NAMES } from './call.machine.js';
import shortcuts from './shortcuts.json' with { type: 'json' };

/**
 * The operator console's key for each frequent situation, in the order its buttons are shown
 * (machines/shortcuts.json: data, like the phrases; test/machine/shortcuts.test.ts keeps it
 * within the vocabulary).
 */
export const SHORTCUTS: Readonly<Partial<Record<CallEventType, string>>> = shortcuts;

/** The vocabulary in the console's order: the situations with a key first, as listed, then the rest. */
export function consoleOrder(): CallEventType[] {
  const keyed = Object.keys(SHORTCUTS) as CallEventType[];
  return [...keyed, ...CALL_EVENT_TYPES.filter((type) => !(type in SHORTCUTS))];
}

export interface NodeDescription {
  id: string;
  path: string;
  key: string;
  parent: string | null;
  type: string;
  initial: string | null;
  history: string | null;
  entry: string[];
  prompts: string[];
}

export interface TransitionDescription {
  source: string;
  event: string;
  /** `after` transitions: the named delay and its length. */
  delay: { name: string; ms: number; timer: string } | null;
  guard: { type: string; params: unknown } | null;
  targets: string[];
  reenter: boolean;
  actions: string[];
  prompts: string[];
}

type ActionLike = string | { type: string; params?: unknown };

const pathOf = (node: AnyStateNode) => node.path.join('.') || '(root)';
const actionName = (a: ActionLike) => (typeof a === 'string' ? a : typeof a === 'function' ? 'inline' : a.type);
const promptsOf = (actions: readonly ActionLike[]) =>
  actions.flatMap((a) =>
    typeof a === 'object' && a.type === 'say' && a.params && typeof a.params === 'object'
      ? [String((a.params as { key: string }).key)]
      : [],
  );

export function describeMachine(machine: CallMachine, limits: CallLimits) {
  const nodes: NodeDescription[] = [];
  const transitions: TransitionDescription[] = [];
  const visit = (node: AnyStateNode) => {
    const entry = node.config.entry as ActionLike | ActionLike[] | undefined;
    const entryList = entry === undefined ? [] : Array.isArray(entry) ? entry : [entry];
    nodes.push({
      id: node.id,
      path: pathOf(node),
      key: node.key,
      parent: node.parent ? pathOf(node.parent) : null,
      type: node.type,
      initial: typeof node.config.initial === 'string' ? node.config.initial : null,
      history: node.type === 'history' ? String(node.config.history ?? 'shallow') : null,
      entry: entryList.map(actionName),
      prompts: promptsOf(entryList),
    });
    for (const [eventType, list] of node.transitions) {
      for (const t of list) {
        const actions = t.actions as readonly ActionLike[];
        const delayName = eventType.startsWith('xstate.after.') ? (eventType.split('.')[2] ?? '') : null;
        transitions.push({
          source: pathOf(node),
          event: eventType,
          delay: delayName
            ? {
                name: delayName,
                ms: delayName === 'holdCheck' ? Math.round(limits.holdCheckSeconds * 1000) : Number.NaN,
                timer: DELAY_TIMER_NAMES[delayName as keyof typeof DELAY_TIMER_NAMES] ?? delayName,
              }
            : null,
          guard:
            t.guard && typeof t.guard === 'object'
              ? {
                  type: String((t.guard as { type: string }).type),
                  params: (t.guard as { params?: unknown }).params ?? null,
                }
              : null,
          targets: (t.target ?? []).map((target) => pathOf(target)),
          reenter: Boolean(t.reenter),
          actions: actions.map(actionName),
          prompts: promptsOf(actions),
        });
      }
    }
    for (const child of Object.values(node.states)) visit(child);
  };
  visit(machine.root);
  return {
    id: machine.id,
    limits,
    /** Every event a client may post: its data fields and its console key (null: none). */
    events: consoleOrder().map((type) => ({ type, data: EVENT_DATA[type], shortcut: SHORTCUTS[type] ?? null })),
    nodes,
    transitions,
    definition: machine.root.definition,
  };
}
