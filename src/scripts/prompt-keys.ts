/**
 * Every prompt key the statechart can say, found by walking it (entry and exit actions, event
 * transitions, `after` and `always`), as test/machine/catalogue.test.ts does: a published
 * script must have exactly these in every catalogue.
 */
import type { AnyStateNode } from 'xstate';
import { createCallMachine } from '../../machines/call.machine.js';

type ActionLike = unknown;

function sayKey(action: ActionLike): string | null {
  if (typeof action !== 'object' || action === null) return null;
  const { type, params } = action as { type?: unknown; params?: { key?: unknown } };
  return type === 'say' && typeof params?.key === 'string' ? params.key : null;
}

function walk(node: AnyStateNode, keys: Set<string>): void {
  const visit = (actions: readonly ActionLike[] | undefined) => {
    for (const action of actions ?? []) {
      const key = sayKey(action);
      if (key) keys.add(key);
    }
  };
  visit(node.entry as ActionLike[]);
  visit(node.exit as ActionLike[]);
  for (const transitions of node.transitions.values()) for (const t of transitions) visit(t.actions as ActionLike[]);
  for (const t of node.after) visit(t.actions as ActionLike[]);
  for (const t of node.always ?? []) visit(t.actions as ActionLike[]);
  for (const child of Object.values(node.states)) walk(child as AnyStateNode, keys);
}

let known: readonly string[] | null = null;

/** Sorted; the limits do not change which keys the machine says. */
export function machinePromptKeys(): readonly string[] {
  if (!known) {
    const keys = new Set<string>();
    walk(createCallMachine().root, keys);
    known = [...keys].sort();
  }
  return known;
}
