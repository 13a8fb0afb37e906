/**
 * The adherence report counts prompts said only on the history rows of certain event types (its
 * partial index holds those rows only): checked here against the machine itself. Every reachable
 * state is visited (xstate/graph, as test/machine/graph.test.ts does) and every allowed event
 * applied; each prompt the report counts must come only from the types it reads for it. And the
 * PostgreSQL migration's index covers exactly the report's types (SQLite: the plan test in
 * test/store/supervisor.contract.test.ts shows its planner uses the index).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { getAdjacencyMap } from 'xstate/graph';
import type { CallEvent } from '../../machines/call.events.js';
import { type CallSnapshot, createCallRuntime } from '../../machines/call.runtime.js';
import { ADHERENCE_TYPES, COUNTED_PROMPTS } from '../../src/reports/adherence.js';
import { apiEventVariants, HOLD_TIMER_EVENT, stateOf } from '../machine/helpers.js';

const runtime = createCallRuntime({ maxRepeats: 3, maxConnectionAttempts: 3, holdCheckSeconds: 30 });
const EVENTS = apiEventVariants();

/** Prompt key -> the history types (the timer's event recorded as hold.check) that said it. */
function promptSources(): Map<string, Set<string>> {
  const eventsFor = (snapshot: CallSnapshot) => {
    if (snapshot.status !== 'active') return [];
    const events: { type: string }[] = EVENTS.filter((event) => runtime.allows(snapshot, event));
    if (snapshot.matches('hold')) events.push(HOLD_TIMER_EVENT);
    return events as CallEvent[];
  };
  const adjacency = getAdjacencyMap(runtime.machine, {
    events: eventsFor,
    serializeState: (s) => JSON.stringify({ state: stateOf(s), context: s.context, status: s.status }),
    limit: 200_000,
  });
  const sources = new Map<string, Set<string>>();
  for (const { state } of Object.values(adjacency) as { state: CallSnapshot }[]) {
    for (const event of eventsFor(state)) {
      const step = runtime.apply(state, event);
      const type: string = event.type === (HOLD_TIMER_EVENT.type as string) ? 'hold.check' : event.type;
      for (const key of step.prompts) {
        if (!sources.has(key)) sources.set(key, new Set());
        sources.get(key)?.add(type);
      }
    }
  }
  return sources;
}

describe('adherence definitions against the machine', () => {
  const sources = promptSources();

  it('each counted prompt is said only by the event types the report reads for it', () => {
    for (const [key, types] of Object.entries(COUNTED_PROMPTS)) {
      const said = [...(sources.get(key) ?? [])].sort();
      expect(said.length, `${key} is said somewhere`).toBeGreaterThan(0);
      expect(said, key).toEqual([...types].sort());
    }
  });

  it('the hold check fired by the timer and the hold and unhold phrases come from their own types', () => {
    expect([...(sources.get('hold.start') ?? [])]).toEqual(['call.hold']);
    expect([...(sources.get('hold.return') ?? [])]).toEqual(['call.unhold']);
    // The customer's speech on hold also gets the phrase: the report counts fired checks by type and source.
    expect([...(sources.get('hold.check') ?? [])].sort()).toEqual(['customer.speech', 'hold.check']);
    expect([...(sources.get('info.unknown-topic') ?? [])]).toEqual(['customer.unknown-topic']);
  });

  it("the PostgreSQL migration's partial index covers exactly the report's types", () => {
    const sql = readFileSync(
      new URL('../../src/store/migrations/postgres/0006_escalations.sql', import.meta.url),
      'utf8',
    );
    const list = ADHERENCE_TYPES.map((t) => `'${t}'`).join(', ');
    expect(sql).toContain(`WHERE type IN (${list});`);
  });
});
