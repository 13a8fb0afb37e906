/**
 * Matching one step's expectation against what the call showed after it (docs/scenarios.md):
 * prompts, texts and actions are exact ordered lists; allowedEvents and skippedFields exact
 * sets, and so are the pending timers' names; counters only the ones listed; state a path (or several) that must each be active.
 */
import type { CallView } from '../calls/view.js';
import type { Expectation } from './format.js';

/** What a runner saw after a step: the call view's fields a scenario can check. */
export type Observation = Pick<
  CallView,
  'prompts' | 'state' | 'status' | 'endReason' | 'counters' | 'allowedEvents' | 'actions' | 'skippedFields' | 'timers'
>;

export interface Mismatch {
  field: string;
  expected: string;
  actual: string;
}

export function compare(expected: Expectation, seen: Observation): Mismatch[] {
  const out: Mismatch[] = [];
  const list = (field: string, want: readonly string[] | undefined, got: readonly string[], quote = false) => {
    if (want && !sameList(want, got)) out.push({ field, expected: show(want, quote), actual: show(got, quote) });
  };
  const set = (field: string, want: readonly string[] | undefined, got: readonly string[]) => {
    if (!want || sameList([...want].sort(), [...got].sort())) return;
    const missing = want.filter((w) => !got.includes(w));
    const extra = got.filter((g) => !want.includes(g));
    const diff = [
      missing.length ? `missing ${missing.join(', ')}` : '',
      extra.length ? `extra ${extra.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join('; ');
    out.push({ field, expected: show(want), actual: `${show(got)} (${diff})` });
  };

  list(
    'prompts',
    expected.prompts,
    seen.prompts.map((p) => p.key),
  );
  list(
    'texts',
    expected.texts,
    seen.prompts.map((p) => p.text),
    true,
  );
  if (expected.state !== undefined && !stateMatches(expected.state, seen.state)) {
    out.push({ field: 'state', expected: show(expected.state), actual: show(seen.state) });
  }
  if (expected.status !== undefined && expected.status !== seen.status) {
    out.push({ field: 'status', expected: expected.status, actual: seen.status });
  }
  if (expected.endReason !== undefined && expected.endReason !== seen.endReason) {
    out.push({ field: 'endReason', expected: String(expected.endReason), actual: String(seen.endReason) });
  }
  for (const [name, value] of Object.entries(expected.counters ?? {})) {
    const actual = seen.counters[name as keyof Observation['counters']];
    if (value !== undefined && value !== actual) {
      out.push({ field: `counters.${name}`, expected: String(value), actual: String(actual) });
    }
  }
  set('allowedEvents', expected.allowedEvents, seen.allowedEvents);
  list(
    'actions',
    expected.actions,
    seen.actions.map((a) => a.type),
  );
  set('skippedFields', expected.skippedFields, seen.skippedFields);
  set(
    'timers',
    expected.timers,
    seen.timers.map((t) => t.name),
  );
  return out;
}

/** Each expected path equals an active one or is a prefix of one at a dot ("hold", "conversation.answer"). */
export function stateMatches(expected: string | string[], actual: string | string[]): boolean {
  const active = typeof actual === 'string' ? [actual] : actual;
  const wanted = typeof expected === 'string' ? [expected] : expected;
  return wanted.every((w) => active.some((a) => a === w || a.startsWith(`${w}.`)));
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** A value for a report line: lists as [a, b]; `quote` for free text, which may hold commas. */
export function show(value: unknown, quote = false): string {
  if (Array.isArray(value))
    return `[${value.map((v) => (typeof v === 'string' && !quote ? v : JSON.stringify(v))).join(', ')}]`;
  return typeof value === 'string' ? value : JSON.stringify(value);
}
