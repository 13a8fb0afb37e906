/**
 * Scores the recogniser on a labelled set of customer lines (eval/transcripts/*.jsonl): per
 * event precision, recall and F1, their macro average, the false-suggestion rate on lines that
 * must give no suggestion, and how often the suggested `data` is right. A suggestion counts
 * when its confidence is at least COUNTED (SPEC §12 and issue 16).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Static, Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { CallEventType } from '../../machines/call.events.js';
import { createCallRuntime } from '../../machines/call.runtime.js';
import type { Lexicon } from '../../machines/lexicon.js';
import { projectPath } from '../paths.js';
import { stemmerFor } from './stemmer.js';
import { type Suggestion, suggest } from './suggest.js';
import { normalWord } from './tokens.js';

export const COUNTED = 0.5;

export const EVAL_DIR = projectPath('eval', 'transcripts');

/** The held-out parts of a locale's set: `<locale>.heldout*.jsonl`, never used for tuning. */
export function heldoutParts(locale: string): string[] {
  return readdirSync(EVAL_DIR)
    .filter((name) => name.startsWith(`${locale}.heldout`) && name.endsWith('.jsonl'))
    .sort()
    .map((name) => join(EVAL_DIR, name));
}

/**
 * The probe parts: `<locale>.probe*.jsonl`, lines written by another hand to measure how the
 * recogniser generalises. Like the held-out part they are never tuned on; they are reported on
 * their own and not asserted, as a figure to watch rather than a bar.
 */
export function probeParts(locale: string): string[] {
  return readdirSync(EVAL_DIR)
    .filter((name) => name.startsWith(`${locale}.probe`) && name.endsWith('.jsonl'))
    .sort()
    .map((name) => join(EVAL_DIR, name));
}

/** Where in the script a line is said; each gives the events allowed then. */
export const CONTEXTS = {
  conversation: [],
  answered: ['answer.given'],
  offer: ['customer.non-citizen'],
  hold: ['call.hold'],
  connection: ['customer.cannot-hear'],
} as const satisfies Record<string, readonly CallEventType[]>;
export type Context = keyof typeof CONTEXTS;

export const EvalLine = Type.Object(
  {
    text: Type.String({ minLength: 1, maxLength: 2000 }),
    context: Type.Optional(Type.Union(Object.keys(CONTEXTS).map((c) => Type.Literal(c)))),
    expect: Type.Array(
      Type.Object(
        { type: Type.String(), data: Type.Optional(Type.Record(Type.String(), Type.String())) },
        { additionalProperties: false },
      ),
    ),
    note: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type EvalLine = Static<typeof EvalLine>;
const checkLine = TypeCompiler.Compile(EvalLine);

export function readEvalSet(path: string): EvalLine[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((line, i) => ({ line: line.trim(), number: i + 1 }))
    .filter(({ line }) => line.length > 0)
    .map(({ line, number }) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch (error) {
        throw new Error(`${path}:${number}: not JSON (${(error as Error).message})`);
      }
      const problem = checkLine.Errors(parsed).First();
      if (problem) throw new Error(`${path}:${number}: ${problem.path || '/'} ${problem.message}`);
      return parsed as EvalLine;
    });
}

/** The events allowed in each context, from the real statechart (not a list kept by hand). */
export function allowedByContext(): Record<Context, string[]> {
  const runtime = createCallRuntime();
  const result = {} as Record<Context, string[]>;
  for (const [context, events] of Object.entries(CONTEXTS) as [Context, readonly CallEventType[]][]) {
    let snapshot = runtime.start({}).snapshot;
    for (const type of events) snapshot = runtime.apply(snapshot, { type }).snapshot;
    result[context] = runtime.allowedEvents(snapshot);
  }
  return result;
}

export interface EventScore {
  type: string;
  support: number;
  tp: number;
  fp: number;
  fn: number;
  precision: number;
  recall: number;
  f1: number;
}

export interface LineResult {
  line: EvalLine;
  predicted: Suggestion[];
  missing: string[];
  extra: string[];
  wrongData: string[];
}

export interface Report {
  lines: number;
  events: EventScore[];
  macroF1: number;
  noSuggestionLines: number;
  falseSuggestionRate: number;
  data: { checked: number; correct: number; accuracy: number };
  results: LineResult[];
}

export function evaluate(lines: EvalLine[], lexicon: Lexicon, locale: string): Report {
  const allowed = allowedByContext();
  const counts = new Map<string, { tp: number; fp: number; fn: number; support: number }>();
  const count = (type: string) => {
    let c = counts.get(type);
    if (!c) {
      c = { tp: 0, fp: 0, fn: 0, support: 0 };
      counts.set(type, c);
    }
    return c;
  };
  let noSuggestion = 0;
  let falseSuggestions = 0;
  let dataChecked = 0;
  let dataCorrect = 0;
  const results: LineResult[] = [];

  for (const line of lines) {
    const suggestions = suggest(line.text, {
      speaker: 'customer',
      allowedEvents: allowed[(line.context ?? 'conversation') as Context],
      lexicon,
      locale,
    });
    const predicted = suggestions.filter((s) => s.confidence >= COUNTED);
    const predictedTypes = new Set(predicted.map((s) => s.type as string));
    const expectedTypes = new Set(line.expect.map((e) => e.type));
    const result: LineResult = { line, predicted, missing: [], extra: [], wrongData: [] };
    for (const type of expectedTypes) {
      count(type).support++;
      if (predictedTypes.has(type)) count(type).tp++;
      else {
        count(type).fn++;
        result.missing.push(type);
      }
    }
    for (const type of predictedTypes) {
      if (!expectedTypes.has(type)) {
        count(type).fp++;
        result.extra.push(type);
      }
    }
    for (const expected of line.expect) {
      if (!expected.data || !predictedTypes.has(expected.type)) continue;
      dataChecked++;
      const best = predicted.find((s) => s.type === expected.type && dataMatches(expected.data!, s.data, locale));
      if (best) dataCorrect++;
      else
        result.wrongData.push(
          `${expected.type} ${JSON.stringify(predicted.find((s) => s.type === expected.type)?.data)}`,
        );
    }
    if (line.expect.length === 0) {
      noSuggestion++;
      if (predicted.length > 0) falseSuggestions++;
    }
    results.push(result);
  }

  const events = [...counts.entries()]
    .map(([type, c]) => {
      const precision = c.tp + c.fp === 0 ? 1 : c.tp / (c.tp + c.fp);
      const recall = c.tp + c.fn === 0 ? 1 : c.tp / (c.tp + c.fn);
      const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
      return { type, ...c, precision, recall, f1 };
    })
    .sort((a, b) => a.type.localeCompare(b.type));
  return {
    lines: lines.length,
    events,
    macroF1: events.length ? events.reduce((sum, e) => sum + e.f1, 0) / events.length : 0,
    noSuggestionLines: noSuggestion,
    falseSuggestionRate: noSuggestion ? falseSuggestions / noSuggestion : 0,
    data: { checked: dataChecked, correct: dataCorrect, accuracy: dataChecked ? dataCorrect / dataChecked : 1 },
    results,
  };
}

/**
 * Whether the suggested data is what the label says. Names and fields must be equal (case and
 * "ё" aside); a topic must share at least half its word stems with the label (F1 of stems), as
 * "рекламу по телевизору" and "реклама по телевизору" are the same topic.
 */
export function dataMatches(
  expected: Record<string, string>,
  actual: Record<string, string> | undefined,
  locale: string,
): boolean {
  if (!actual) return false;
  for (const [field, value] of Object.entries(expected)) {
    const got = actual[field];
    if (got === undefined) return false;
    if (field === 'topic') {
      if (stemOverlap(value, got, locale) < 0.5) return false;
    } else if (normalWord(got) !== normalWord(value)) return false;
  }
  // A patronymic suggested where the label has none is wrong too.
  return Object.keys(actual).every((field) => field in expected);
}

function stemOverlap(a: string, b: string, locale: string): number {
  const stem = stemmerFor(locale);
  const stems = (text: string) => (text.match(/[\p{L}\p{N}]+/gu) ?? []).map((w) => stem(normalWord(w)));
  const left = stems(a);
  const right = stems(b);
  const pool = [...right];
  let common = 0;
  for (const word of left) {
    const at = pool.indexOf(word);
    if (at >= 0) {
      common++;
      pool.splice(at, 1);
    }
  }
  return left.length + right.length === 0 ? 1 : (2 * common) / (left.length + right.length);
}
