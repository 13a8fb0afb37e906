/**
 * The lexicon's pattern language, compiled once into matchers over a line's words.
 *
 *   a b          terms next to each other (fillers such as "ну", "э" never count)
 *   a .. b       up to GAP words between them, not across a clause boundary ("но", "а")
 *   A & B        the groups A and B anywhere within WINDOW words of each other, in any order
 *   a|b          either term (of one word: `|` never joins sequences)
 *   ^ a .. b $   the group starts at the line's first word, ends at its last
 * Terms: `word` (same stem: "карточки" = "карточку"), `root*` (the word starts so), `=word`
 * (exactly this form), `/regex/` (on the lower-cased word), `@set`, `{slot}`, `#name`,
 * `#anyname`, `#patronymic`.
 */
import type { NameMatcher } from './names.js';
import type { Stem } from './stemmer.js';
import { normalWord, type Token, type Words } from './tokens.js';

export const GAP = 3;
export const WINDOW = 6;

/** What a term found in one word: a plain hit, a slot's value, or a name part. */
export type Hit = { slot: string; value: string } | { name: 'firstName' | 'patronymic' | 'anyName' } | true;

export type TermTest = (token: Token) => Hit | false;

interface Step {
  /** The term's number in its lexicon: a line remembers what each term found (LineMemo). */
  id: number;
  test: TermTest;
  /** Words allowed between the previous term and this one. */
  gap: number;
  /** Whether this term can be a negation word (such patterns are never cancelled by one). */
  negation: boolean;
}

export interface Captured {
  slots: Record<string, string>;
  names: { firstName?: number; patronymic?: number; anyName?: number };
}

export interface Match extends Captured {
  /** Indices of the content words the terms matched, in order. */
  tokens: number[];
}

/** Terms in order; `^` and `$` tie the group to the start and end of the line. */
export interface Group {
  steps: Step[];
  atStart: boolean;
  atEnd: boolean;
}

export interface CompiledPattern {
  source: string;
  groups: Group[];
  /** The pattern names a negation itself ("не слышу"): a negation before it does not cancel it. */
  hasNegation: boolean;
  /** The first match that `accept` takes (every match when it is absent), or null. */
  match<S>(words: Words, accept?: Accept<S>, state?: S): Match | null;
}

export type Accept<S> = (match: Match, state: S) => boolean;

/**
 * What each term found in each word of one line, filled as matching asks: patterns share
 * terms ("@thing", "не"), so a term is tried on a word once per line, not once per pattern.
 */
export class LineMemo {
  private readonly hits: ((Hit | false)[] | undefined)[];
  /** Per term: 0 not known yet, 1 found in no word, 2 found in some word. */
  private readonly anywhere: Uint8Array;

  constructor(
    terms: number,
    private readonly words: Words,
  ) {
    this.hits = new Array(terms);
    this.anywhere = new Uint8Array(terms);
  }

  at(step: Step, index: number): Hit | false {
    let row = this.hits[step.id];
    if (!row) {
      row = new Array(this.words.content.length);
      this.hits[step.id] = row;
    }
    let hit = row[index];
    if (hit === undefined) {
      hit = step.test(this.words.content[index]!);
      row[index] = hit;
    }
    return hit;
  }

  /** Whether the term is found in any word of the line (a pattern whose term is not is skipped). */
  somewhere(step: Step): boolean {
    let known = this.anywhere[step.id]!;
    if (known === 0) {
      known = 1;
      for (let i = 0; i < this.words.content.length; i++) {
        if (this.at(step, i)) {
          known = 2;
          break;
        }
      }
      this.anywhere[step.id] = known;
    }
    return known === 2;
  }
}

export interface TermContext {
  /** Terms compiled so far in this lexicon, by source: one number (and one memo) each. */
  terms: Map<string, { id: number; test: TermTest; negation: boolean }>;
  /** Part of a term's key when its meaning depends on the event (slots). */
  scope: string;
  stem: Stem;
  sets: ReadonlyMap<string, string[]>;
  slots: Readonly<Record<string, Record<string, string[]>>>;
  names: NameMatcher;
  notNames: ReadonlySet<string>;
  negations: ReadonlySet<string>;
}

export class PatternError extends Error {}

const PLAIN: Hit = true;

/** One alternative of a term (no `|`). */
function compileAlternative(source: string, ctx: TermContext, depth = 0): { test: TermTest; negation: boolean } {
  if (source.startsWith('@')) {
    const name = source.slice(1);
    const words = ctx.sets.get(name);
    if (!words) throw new PatternError(`unknown set "@${name}"`);
    if (depth > 0) throw new PatternError(`a set may not name another set ("@${name}")`);
    return compileAlternatives(words, ctx, depth + 1);
  }
  if (source.startsWith('{') && source.endsWith('}')) {
    const slot = source.slice(1, -1);
    const values = ctx.slots[slot];
    if (!values) throw new PatternError(`unknown slot "{${slot}}" (the event declares no such slot)`);
    const tests = Object.entries(values).map(([value, words]) => {
      const hit: Hit = { slot, value };
      const { test } = compileAlternatives(words, ctx, depth + 1);
      return (token: Token) => (test(token) ? hit : false);
    });
    return {
      test: (token) => {
        for (const test of tests) {
          const hit = test(token);
          if (hit) return hit;
        }
        return false;
      },
      negation: false,
    };
  }
  if (source === '#name') {
    const hit: Hit = { name: 'firstName' };
    return { test: (token) => (ctx.names.firstName(token) ? hit : false), negation: false };
  }
  if (source === '#patronymic') {
    const hit: Hit = { name: 'patronymic' };
    return { test: (token) => (ctx.names.patronymic(token) ? hit : false), negation: false };
  }
  if (source === '#anyname') {
    const hit: Hit = { name: 'anyName' };
    return {
      test: (token) =>
        /^\p{L}{2,}$/u.test(token.norm) && !ctx.notNames.has(token.norm) && !ctx.negations.has(token.norm)
          ? hit
          : false,
      negation: false,
    };
  }
  if (source.startsWith('#')) throw new PatternError(`unknown term "${source}" (#name, #anyname, #patronymic)`);
  if (source.length > 2 && source.startsWith('/') && source.endsWith('/')) {
    let regex: RegExp;
    try {
      regex = new RegExp(source.slice(1, -1), 'u');
    } catch (error) {
      throw new PatternError(`bad regular expression ${source}: ${(error as Error).message}`);
    }
    return { test: (token) => (regex.test(token.norm) ? PLAIN : false), negation: false };
  }
  if (source.startsWith('=')) {
    const word = normalWord(source.slice(1));
    if (!word) throw new PatternError('"=" needs a word after it');
    return { test: (token) => (token.norm === word ? PLAIN : false), negation: ctx.negations.has(word) };
  }
  if (source.endsWith('*')) {
    const root = normalWord(source.slice(0, -1));
    if (!root) throw new PatternError('"*" needs a root before it');
    return { test: (token) => (token.norm.startsWith(root) ? PLAIN : false), negation: false };
  }
  if (/\s/u.test(source)) throw new PatternError(`"${source}": a term is one word`);
  const word = normalWord(source);
  const stem = ctx.stem(word);
  // A stem of one or two letters says too little: such words are compared whole ("нее" and
  // "не" both stem to "не").
  if (stem.length < 3)
    return { test: (token) => (token.norm === word ? PLAIN : false), negation: ctx.negations.has(word) };
  return {
    test: (token) => (token.stem === stem || token.norm === word ? PLAIN : false),
    negation: ctx.negations.has(word),
  };
}

function compileAlternatives(alternatives: readonly string[], ctx: TermContext, depth = 0) {
  const compiled = alternatives.map((alternative) => {
    if (!alternative) throw new PatternError('an empty alternative (check for "||" or a trailing "|")');
    return compileAlternative(alternative, ctx, depth);
  });
  if (compiled.length === 1) return compiled[0]!;
  const tests = compiled.map((c) => c.test);
  return {
    test: (token: Token) => {
      for (const test of tests) {
        const hit = test(token);
        if (hit) return hit;
      }
      return false;
    },
    negation: compiled.some((c) => c.negation),
  };
}

/** `a|b|/x|y/`: the bars of a regular expression are its own, not the term's. */
export function splitAlternatives(term: string): string[] {
  const alternatives: string[] = [];
  let current = '';
  let inRegex = false;
  for (let i = 0; i < term.length; i++) {
    const ch = term[i]!;
    if (ch === '/' && (inRegex ? term[i - 1] !== '\\' : current === '')) inRegex = !inRegex;
    if (ch === '|' && !inRegex) {
      alternatives.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  if (inRegex) throw new PatternError(`"${term}": a regular expression is not closed with "/"`);
  alternatives.push(current);
  return alternatives;
}

function compileGroup(source: string, ctx: TermContext): Group {
  const parts = source.trim().split(/\s+/u);
  const atStart = parts[0] === '^';
  const atEnd = parts.length > 1 && parts.at(-1) === '$';
  if (atStart) parts.shift();
  if (atEnd) parts.pop();
  const steps: Step[] = [];
  let gap = 0;
  for (const part of parts) {
    if (part === '..') {
      if (steps.length === 0 || gap > 0) throw new PatternError('".." must stand between two terms');
      gap = GAP;
      continue;
    }
    const key = part.includes('{') ? `${ctx.scope}\u0000${part}` : part;
    let term = ctx.terms.get(key);
    if (!term) {
      term = { id: ctx.terms.size, ...compileAlternatives(splitAlternatives(part), ctx) };
      ctx.terms.set(key, term);
    }
    steps.push({ id: term.id, test: term.test, gap, negation: term.negation });
    gap = 0;
  }
  if (steps.length === 0 || gap > 0) throw new PatternError('".." must stand between two terms');
  return { steps, atStart, atEnd };
}

export function compilePattern(source: string, ctx: TermContext): CompiledPattern {
  const groups = source.split(/\s+&\s+/u).map((group) => compileGroup(group, ctx));
  return {
    source,
    groups,
    hasNegation: groups.some((group) => group.steps.some((step) => step.negation)),
    match: (words, accept, state) => matchPattern(groups, words, accept, state),
  };
}

interface Partial {
  tokens: number[];
  hits: Hit[];
}

function hitAt(words: Words, step: Step, index: number): Hit | false {
  return words.memo ? words.memo.at(step, index) : step.test(words.content[index]!);
}

/** Steps k.. from word `at` on; fills `tokens` and `hits` (shortest gaps first). */
function walk(group: Group, words: Words, k: number, at: number, tokens: number[], hits: Hit[]): boolean {
  const steps = group.steps;
  const step = steps[k]!;
  const n = words.content.length;
  const last = k === 0 ? at : Math.min(at + step.gap, n - 1);
  const lastStep = k + 1 === steps.length;
  for (let i = at; i <= last; i++) {
    // A gap never crosses a clause boundary.
    if (i > at && words.boundary[i - 1]) break;
    if (lastStep && group.atEnd && i !== n - 1) continue;
    const hit = hitAt(words, step, i);
    if (!hit) continue;
    tokens.push(i);
    hits.push(hit);
    if (lastStep || (i + 1 < n && walk(group, words, k + 1, i + 1, tokens, hits))) return true;
    tokens.pop();
    hits.pop();
  }
  return false;
}

/** The first way the group matches from `start`. */
function matchFrom(group: Group, words: Words, start: number): Partial | null {
  const tokens: number[] = [];
  const hits: Hit[] = [];
  return start < words.content.length && walk(group, words, 0, start, tokens, hits) ? { tokens, hits } : null;
}

/** Where a group may start: only at the first word for `^`. */
function lastStart(group: Group, words: Words): number {
  return group.atStart ? Math.min(0, words.content.length - 1) : words.content.length - 1;
}

/** Whether every term of the group is somewhere in the line (else it cannot match). */
function possible(group: Group, words: Words): boolean {
  const memo = words.memo;
  if (!memo) return true;
  for (const step of group.steps) if (!memo.somewhere(step)) return false;
  return true;
}

function matchesOfGroup(group: Group, words: Words): Partial[] {
  const found: Partial[] = [];
  for (let start = 0; start <= lastStart(group, words); start++) {
    const match = matchFrom(group, words, start);
    if (match) found.push(match);
  }
  return found;
}

function spanHasBoundary(words: Words, from: number, to: number, matched: ReadonlySet<number>): boolean {
  for (let i = from; i <= to; i++) if (words.boundary[i] && !matched.has(i)) return true;
  return false;
}

function matchPattern<S>(
  groups: Group[],
  words: Words,
  accept: Accept<S> | undefined,
  state: S | undefined,
): Match | null {
  for (const group of groups) if (!possible(group, words)) return null;
  if (groups.length === 1) {
    const group = groups[0]!;
    for (let start = 0; start <= lastStart(group, words); start++) {
      const partial = matchFrom(group, words, start);
      if (!partial) continue;
      const match = toMatch([partial]);
      if (!accept || accept(match, state as S)) return match;
    }
    return null;
  }
  const candidates = groups.map((group) => matchesOfGroup(group, words));
  if (candidates.some((list) => list.length === 0)) return null;
  // The closest combination, one match per group, within the window and one clause.
  let best: Partial[] | null = null;
  let bestSpan = Number.POSITIVE_INFINITY;
  const chosen: Partial[] = [];
  const search = (g: number) => {
    if (g === candidates.length) {
      const all = chosen.flatMap((p) => p.tokens);
      if (new Set(all).size !== all.length) return;
      const from = Math.min(...all);
      const to = Math.max(...all);
      const span = to - from;
      if (span >= WINDOW || span >= bestSpan) return;
      if (spanHasBoundary(words, from, to, new Set(all))) return;
      if (accept && !accept(toMatch(chosen), state as S)) return;
      best = [...chosen];
      bestSpan = span;
      return;
    }
    for (const candidate of candidates[g]!) {
      chosen.push(candidate);
      search(g + 1);
      chosen.pop();
    }
  };
  search(0);
  return best ? toMatch(best) : null;
}

function toMatch(parts: Partial[]): Match {
  const match: Match = { tokens: [], slots: {}, names: {} };
  for (const part of parts) {
    part.tokens.forEach((index, i) => {
      match.tokens.push(index);
      const hit = part.hits[i]!;
      if (hit === true) return;
      if ('slot' in hit) match.slots[hit.slot] = hit.value;
      else match.names[hit.name] ??= index;
    });
  }
  match.tokens.sort((a, b) => a - b);
  return match;
}
