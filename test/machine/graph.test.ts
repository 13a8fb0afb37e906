/**
 * Graph coverage with xstate's own graph utilities (`xstate/graph`, part of xstate 5.33; no
 * extra package). createTestModel rejects delayed (`after`) transitions, so the machine is
 * traversed with getAdjacencyMap / getShortestPaths, bounded, with valid events supplied per
 * state (one per API type, both contact fields, and the hold check's delayed event on hold).
 *
 * Generated paths: the shortest path to every reachable snapshot, and that path extended by
 * each event allowed there. Together they take every edge of the reachable graph, so every
 * state node and every transition definition (guarded branches and `after` included) must
 * show up in them, and the invariants are checked on every step.
 */

import { describe, expect, it } from 'vitest';
import type { AnyStateNode, AnyTransitionDefinition } from 'xstate';
import { getAdjacencyMap, getShortestPaths } from 'xstate/graph';
import { type CallEvent, type CustomerName, INTERNAL_EVENTS } from '../../machines/call.events.js';
import { type CallLimits, createCallMachine, DEFAULT_LIMITS, type PromptKey } from '../../machines/call.machine.js';
import { type CallRuntime, type CallSnapshot, createCallRuntime } from '../../machines/call.runtime.js';
import { LOCALES, renderPrompt } from '../../machines/catalogue.js';
import { apiEventVariants, HOLD_TIMER_EVENT, stateOf } from './helpers.js';

const API_EVENTS = apiEventVariants();
/** The traversal stops with an error past this many expansions: the search is bounded. */
const TRAVERSAL_LIMIT = 200_000;

const IDLE_EVENT = { type: INTERNAL_EVENTS.idle };
type GraphEvent = CallEvent | typeof HOLD_TIMER_EVENT | typeof IDLE_EVENT;

/**
 * The script's limits, and a boundary configuration. With the default limits the conversation's
 * own "past the limit" branches of a first connection attempt can never be taken (an episode
 * starts at 0 attempts); with maxConnectionAttempts 0 they are the ones taken.
 */
const CONFIGS: { name: string; limits: CallLimits }[] = [
  { name: 'default limits', limits: DEFAULT_LIMITS },
  { name: 'boundary limits', limits: { maxRepeats: 1, maxConnectionAttempts: 0, holdCheckSeconds: 30 } },
];

function allStateNodes(node: AnyStateNode): AnyStateNode[] {
  return [node, ...Object.values(node.states).flatMap((child) => allStateNodes(child as AnyStateNode))];
}

/** Every transition definition of every state node, with a label that is the same for every limits. */
function transitionsOf(root: AnyStateNode): Map<AnyTransitionDefinition, string> {
  const labels = new Map<AnyTransitionDefinition, string>();
  for (const node of allStateNodes(root)) {
    for (const [event, list] of node.transitions) {
      list.forEach((t, i) => {
        const target = t.target?.map((n: AnyStateNode) => n.id).join(',') ?? '(stays)';
        labels.set(
          t,
          `${node.id} --${event}${list.length > 1 ? `#${i + 1}${t.guard ? ' guarded' : ''}` : ''}--> ${target}`,
        );
      });
    }
  }
  return labels;
}

const STRUCTURE = createCallMachine();
const ALL_NODES = allStateNodes(STRUCTURE.root).map((n) => n.id);
const ALL_TRANSITIONS = [...transitionsOf(STRUCTURE.root).values()];

/** Per configuration: labels of the transitions taken and ids of the state nodes reached. */
const coverage = new Map<string, { transitions: Set<string>; nodes: Set<string> }>();

function explorer(runtime: CallRuntime) {
  const eventsFor = (snapshot: CallSnapshot): GraphEvent[] => {
    if (snapshot.status !== 'active') return [];
    const events: GraphEvent[] = API_EVENTS.filter((event) => runtime.allows(snapshot, event));
    if (snapshot.matches('hold')) events.push(HOLD_TIMER_EVENT);
    // The service's own idle end (SPEC §10) may come in any active state.
    events.push(IDLE_EVENT);
    return events;
  };

  /** What makes two snapshots the same call: the state, the context, and where a return goes. */
  const serialize = (snapshot: CallSnapshot): string => {
    const state = stateOf(snapshot);
    const { historyValue } = runtime.persist(snapshot) as { historyValue?: Record<string, { id: string }[]> };
    // Deep history only matters while away from the conversation (hold, connection episode).
    const history =
      state === 'hold' || state === 'connection'
        ? Object.fromEntries(
            Object.entries(historyValue ?? {}).map(([id, nodes]) => [id, nodes.map((n) => n.id).sort()]),
          )
        : null;
    return JSON.stringify({ state, status: snapshot.status, context: snapshot.context, history });
  };

  return {
    serialize,
    traversal: {
      events: eventsFor as (snapshot: CallSnapshot) => CallEvent[],
      serializeState: serialize,
      limit: TRAVERSAL_LIMIT,
    },
  };
}

describe.each(CONFIGS)('graph of the call machine with $name', ({ name, limits }) => {
  const runtime = createCallRuntime(limits);
  const { machine } = runtime;
  const { serialize, traversal } = explorer(runtime);
  const adjacency = getAdjacencyMap(machine, traversal);
  const shortest = getShortestPaths(machine, traversal);
  const labels = transitionsOf(machine.root);
  const covered = { transitions: new Set<string>(), nodes: new Set<string>() };
  coverage.set(name, covered);

  type PathStep = { state: CallSnapshot; event: { type: string } };
  /** The adjacency map's entries, typed (its keys are branded strings, which Object.* loses). */
  const entries = Object.entries(adjacency) as [
    string,
    { state: CallSnapshot; transitions: Record<string, PathStep> },
  ][];
  const pathTo = new Map<string, PathStep[]>();
  for (const path of shortest) pathTo.set(serialize(path.state), path.steps as PathStep[]);

  /** The shortest path to each snapshot, plus each of those extended by one allowed event. */
  const paths: PathStep[][] = [...pathTo.values()];
  for (const [from, { transitions: out }] of entries) {
    const head = pathTo.get(from) ?? [];
    for (const { event, state } of Object.values(out)) paths.push([...head, { event, state }]);
  }

  const stepKey = (from: CallSnapshot, event: { type: string }) => `${serialize(from)}|${JSON.stringify(event)}`;
  const checkedSteps = new Set<string>();
  const checkedSnapshots = new Set<string>();
  const renderable = new Set<string>();
  /** Broken invariants, collected (one expect per step would dominate the run time). */
  const problems: string[] = [];
  const check = (ok: boolean, what: string) => {
    if (!ok && problems.length < 50) problems.push(what);
  };

  function checkPrompt(key: PromptKey, customer: CustomerName | null, where: string) {
    const id = `${key}|${JSON.stringify(customer)}`;
    if (renderable.has(id)) return;
    renderable.add(id);
    for (const locale of LOCALES) {
      const { text } = renderPrompt(key, customer, locale);
      check(
        text.length > 0 && !/И\.\s?О\.|(^|\s)ИО,|\{name\}/u.test(text),
        `${where}: ${locale}:${key} renders "${text}"`,
      );
    }
  }

  function checkSnapshot(snapshot: CallSnapshot, where: string) {
    const key = serialize(snapshot);
    if (checkedSnapshots.has(key)) return;
    checkedSnapshots.add(key);
    const { repeats, connectionAttempts, warnings, endReason } = snapshot.context;
    check(repeats >= 0 && repeats <= limits.maxRepeats + 1, `${where}: repeats ${repeats}`);
    check(
      connectionAttempts >= 0 && connectionAttempts <= limits.maxConnectionAttempts + 1,
      `${where}: connectionAttempts ${connectionAttempts}`,
    );
    check(warnings >= 0 && warnings <= 1, `${where}: warnings ${warnings}`);
    const ended = snapshot.status === 'done';
    check((stateOf(snapshot) === 'ended') === ended, `${where}: status ${snapshot.status}`);
    if (ended) {
      check(endReason !== null, `${where}: ended without a reason`);
      check(runtime.allowedEvents(snapshot).length === 0, `${where}: an ended call lists allowed events`);
      for (const event of [...API_EVENTS, HOLD_TIMER_EVENT]) {
        check(!runtime.allows(snapshot, event), `${where}: an ended call allows ${event.type}`);
      }
      if (endReason === 'repeat-limit') check(repeats === limits.maxRepeats + 1, `${where}: repeats at the end`);
      if (endReason === 'connection-lost') {
        check(connectionAttempts === limits.maxConnectionAttempts + 1, `${where}: attempts at the end`);
      }
      if (endReason === 'profanity') check(warnings === 1, `${where}: warnings at the end`);
    } else {
      check(snapshot.status === 'active', `${where}: status ${snapshot.status}`);
      check(endReason === null, `${where}: active with end reason ${endReason}`);
      // Outside an episode nothing is counted as a connection attempt.
      check(stateOf(snapshot) === 'connection' || connectionAttempts === 0, `${where}: attempts outside an episode`);
    }
    for (const node of snapshot._nodes) covered.nodes.add(node.id);
  }

  it('the traversal is bounded, complete and reaches ended calls', () => {
    const states = Object.values(adjacency).map((v) => v.state);
    expect(states.length).toBeGreaterThan(50);
    expect(pathTo.size).toBe(states.length);
    const reasons = new Set(states.filter((s) => s.status === 'done').map((s) => s.context.endReason));
    expect([...reasons].sort()).toEqual(
      ['abandoned', 'completed', 'connection-lost', 'hangup', 'offer-declined', 'profanity', 'repeat-limit'].sort(),
    );
  });

  it('every step of every generated path keeps the invariants', { timeout: 120_000 }, () => {
    const start = runtime.start();
    for (const key of start.prompts) checkPrompt(key, null, 'start');
    checkSnapshot(start.snapshot, 'start');

    // Each distinct (snapshot, event) once; the paths below are made only of such steps.
    for (const [from, { state, transitions: out }] of entries) {
      checkSnapshot(state, from);
      for (const { event, state: next } of Object.values(out)) {
        const where = `${from} + ${JSON.stringify(event)}`;
        const taken = machine.getTransitionData(state, event as CallEvent);
        check(taken.length > 0, `${where} is allowed but takes no transition`);
        for (const t of taken) {
          covered.transitions.add(labels.get(t)!);
          // A transition into a history state reaches it (history states are never "active").
          for (const target of t.target ?? []) if (target.type === 'history') covered.nodes.add(target.id);
        }
        // The runtime the service uses agrees with the graph's transition.
        const step = runtime.apply(state, event);
        check(serialize(step.snapshot) === serialize(next), `${where}: runtime and graph disagree`);
        for (const key of step.prompts) {
          checkPrompt(key, next.context.customer, where);
          checkPrompt(key, null, where);
        }
        checkSnapshot(next, where);
        checkedSteps.add(stepKey(state, event));
      }
    }
    expect(problems).toEqual([]);
    expect(checkedSnapshots.size).toBe(Object.keys(adjacency).length);

    let steps = 0;
    for (const path of paths) {
      check(path[0]!.event.type === 'xstate.init', 'a path does not start at xstate.init');
      check(serialize(path[0]!.state) === serialize(start.snapshot), 'a path does not start at the greeting');
      for (let i = 1; i < path.length; i++) {
        steps++;
        check(checkedSteps.has(stepKey(path[i - 1]!.state, path[i]!.event)), 'a path step was not checked');
      }
    }
    expect(problems).toEqual([]);
    expect(steps).toBeGreaterThanOrEqual(paths.length - 1);
  });

  it('events the script does not allow change nothing in any reachable state', () => {
    let ignored = 0;
    for (const { state } of Object.values(adjacency)) {
      if (state.status !== 'active') continue;
      for (const event of [...API_EVENTS, HOLD_TIMER_EVENT]) {
        if (runtime.allows(state, event)) continue;
        const step = runtime.apply(state, event);
        const where = `${serialize(state)} + ${event.type}`;
        check(
          step.prompts.length + step.effects.length + step.timers.length === 0,
          `${where}: said or armed something`,
        );
        check(serialize(step.snapshot) === serialize(state), `${where}: changed the call`);
        ignored++;
      }
    }
    expect(problems).toEqual([]);
    expect(ignored).toBeGreaterThan(1000);
  });

  it('reports its coverage', () => {
    const edges = Object.values(adjacency).reduce((n, v) => n + Object.keys(v.transitions).length, 0);
    console.log(
      `[graph: ${name}] state nodes ${covered.nodes.size}/${ALL_NODES.length}, ` +
        `transitions ${covered.transitions.size}/${ALL_TRANSITIONS.length}; ` +
        `reachable snapshots ${Object.keys(adjacency).length}, edges ${edges}, generated paths ${paths.length}`,
    );
    expect(covered.transitions.size).toBeGreaterThan(0);
  });
});

describe('graph coverage over both configurations', () => {
  it('the machine has 16 state nodes and 40 transition definitions', () => {
    expect(ALL_NODES.length).toBe(16);
    expect(ALL_TRANSITIONS.length).toBe(40);
    expect(ALL_TRANSITIONS).toContain('call --call.idle--> call.ended');
    expect(ALL_TRANSITIONS).toContain('call.hold --xstate.after.holdCheck.call.hold--> call.hold');
  });

  it('the default limits reach every state node and all but the two first-attempt limit branches', () => {
    const { nodes, transitions } = coverage.get('default limits')!;
    expect(ALL_NODES.filter((id) => !nodes.has(id))).toEqual([]);
    expect(ALL_TRANSITIONS.filter((t) => !transitions.has(t))).toEqual([
      'call.conversation --customer.cannot-hear#2--> call.ended',
      'call.conversation --customer.inaudible#2--> call.ended',
    ]);
  });

  it('together the generated paths reach every state node and take every transition', () => {
    const nodes = new Set([...coverage.values()].flatMap((c) => [...c.nodes]));
    const transitions = new Set([...coverage.values()].flatMap((c) => [...c.transitions]));
    console.log(
      `[graph: total] state nodes ${ALL_NODES.filter((id) => nodes.has(id)).length}/${ALL_NODES.length}, ` +
        `transitions ${ALL_TRANSITIONS.filter((t) => transitions.has(t)).length}/${ALL_TRANSITIONS.length}`,
    );
    expect(ALL_NODES.filter((id) => !nodes.has(id))).toEqual([]);
    expect(ALL_TRANSITIONS.filter((t) => !transitions.has(t))).toEqual([]);
  });
});
