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
  match(words: Words, accept?: (match: Match) => boolean): Match | null;
}

export interface TermContext {
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
    const { test, negation } = compileAlternatives(splitAlternatives(part), ctx);
    steps.push({ test, gap, negation });
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
    match: (words, accept) => matchPattern(groups, words, accept),
  };
}

interface Partial {
  tokens: number[];
  hits: Hit[];
}

/** The first way the group matches from `start` (shortest gaps first). */
function matchFrom(group: Group, words: Words, start: number): Partial | null {
  const { steps, atEnd } = group;
  const tokens: number[] = [];
  const hits: Hit[] = [];
  const content = words.content;
  const walk = (k: number, at: number): boolean => {
    const step = steps[k]!;
    const last = k === 0 ? at : Math.min(at + step.gap, content.length - 1);
    for (let i = at; i <= last; i++) {
      // A gap never crosses a clause boundary.
      if (i > at && words.boundary[i - 1]) break;
      const hit = step.test(content[i]!);
      if (!hit) continue;
      const lastStep = k + 1 === steps.length;
      if (lastStep && atEnd && i !== content.length - 1) continue;
      tokens.push(i);
      hits.push(hit);
      if (lastStep || (i + 1 < content.length && walk(k + 1, i + 1))) return true;
      tokens.pop();
      hits.pop();
    }
    return false;
  };
  return start < content.length && walk(0, start) ? { tokens, hits } : null;
}

/** Where a group may start: only at the first word for `^`. */
function lastStart(group: Group, words: Words): number {
  return group.atStart ? Math.min(0, words.content.length - 1) : words.content.length - 1;
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

function matchPattern(groups: Group[], words: Words, accept?: (match: Match) => boolean): Match | null {
  if (groups.length === 1) {
    const group = groups[0]!;
    for (let start = 0; start <= lastStart(group, words); start++) {
      const partial = matchFrom(group, words, start);
      if (!partial) continue;
      const match = toMatch([partial]);
      if (!accept || accept(match)) return match;
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
      if (accept && !accept(toMatch(chosen))) return;
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
