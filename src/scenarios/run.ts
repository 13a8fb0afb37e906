/**
 * Runs one scenario against a Driver (in-process statechart or a live service), step by step,
 * and matches each step's expectation. A step that cannot be carried out (an event refused
 * without `refused: true`, a wait with no check pending, a service error) fails and ends the
 * run of that scenario: the steps after it would start from the wrong place. A step whose
 * expectation does not match fails too, but the scenario goes on.
 */
import type { CallEventType, CustomerName } from '../../machines/call.events.js';
import type { Locale } from '../../machines/catalogue.js';
import { compare, type Mismatch, type Observation } from './expect.js';
import type { ScenarioStep, TimerName } from './format.js';
import type { LoadedScenario } from './load.js';

export type StepOutcome =
  | { kind: 'applied'; observation: Observation }
  /** Not allowed now (409): nothing changed; `observation` is the call as it stays, with no prompts. */
  | { kind: 'refused'; observation: Observation; detail: string }
  /** The step could not be carried out at all. */
  | { kind: 'error'; detail: string };

/** One call driven by a runner; a driver is used for one scenario only. */
export interface Driver {
  start(call: { name: string; customer?: CustomerName; locale?: Locale }): Promise<Observation>;
  event(type: CallEventType, data: Record<string, unknown> | undefined, index: number): Promise<StepOutcome>;
  wait(timer: TimerName): Promise<StepOutcome>;
}

export interface StepResult {
  /** 0-based. */
  index: number;
  line: number | null;
  step: ScenarioStep;
  outcome: StepOutcome | { kind: 'not-run' };
  mismatches: Mismatch[];
  /** Why the step failed, when it did: the mismatches, or what went wrong. */
  failure: string | null;
}

export interface ScenarioResult {
  file: string;
  name: string;
  passed: boolean;
  /** The scenario could not be loaded or its call not started. */
  error: string | null;
  start: Observation | null;
  steps: StepResult[];
  durationMs: number;
}

export function stepLabel(step: ScenarioStep): string {
  return 'wait' in step ? `wait ${step.wait}` : step.event;
}

export async function runScenario(loaded: LoadedScenario, driver: Driver): Promise<ScenarioResult> {
  const started = performance.now();
  const { scenario, file } = loaded;
  const result: ScenarioResult = {
    file,
    name: scenario.name,
    passed: false,
    error: null,
    start: null,
    steps: [],
    durationMs: 0,
  };
  try {
    result.start = await driver.start({ name: scenario.name, customer: scenario.customer, locale: scenario.locale });
  } catch (error) {
    result.error = `the call could not be started: ${(error as Error).message}`;
    result.durationMs = performance.now() - started;
    return result;
  }
  let stopped = false;
  for (const [index, step] of scenario.steps.entries()) {
    const line = loaded.stepLines[index] ?? null;
    if (stopped) {
      result.steps.push({ index, line, step, outcome: { kind: 'not-run' }, mismatches: [], failure: null });
      continue;
    }
    let outcome: StepOutcome;
    try {
      outcome = 'wait' in step ? await driver.wait(step.wait) : await driver.event(step.event, step.data, index);
    } catch (error) {
      outcome = { kind: 'error', detail: (error as Error).message };
    }
    const judged = judge(step, outcome);
    if (judged.stop) stopped = true;
    result.steps.push({ index, line, step, outcome, mismatches: judged.mismatches, failure: judged.failure });
  }
  result.passed = result.steps.every((s) => s.failure === null);
  result.durationMs = performance.now() - started;
  return result;
}

function judge(
  step: ScenarioStep,
  outcome: StepOutcome,
): { mismatches: Mismatch[]; failure: string | null; stop: boolean } {
  const expected = step.expect;
  if (outcome.kind === 'error') return { mismatches: [], failure: outcome.detail, stop: true };
  const wantRefused = expected?.refused === true;
  if (outcome.kind === 'refused' && !wantRefused) {
    return { mismatches: [], failure: `expected the event to be applied, got refused: ${outcome.detail}`, stop: true };
  }
  if (outcome.kind === 'applied' && wantRefused) {
    return {
      mismatches: [],
      failure: 'expected the event to be refused (not allowed now), but it was applied',
      stop: true,
    };
  }
  const mismatches = expected ? compare(expected, outcome.observation) : [];
  const failure =
    mismatches.length === 0
      ? null
      : mismatches.map((m) => `${m.field}: expected ${m.expected}, got ${m.actual}`).join('; ');
  return { mismatches, failure, stop: false };
}
