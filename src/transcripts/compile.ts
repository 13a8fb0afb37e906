/**
 * A lexicon compiled for matching. Compiling stems every word and builds every matcher once;
 * the result is cached per lexicon object (and locale and name list), so a script version's
 * lexicon is compiled the first time a line is read with it and never again.
 */
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { CALL_EVENT_TYPES, type CallEventType } from '../../machines/call.events.js';
import { Lexicon, type LexiconPattern, type NameList } from '../../machines/lexicon.js';
import { createNameMatcher } from './names.js';
import type { NegationRules } from './negation.js';
import { type CompiledPattern, compilePattern, PatternError, type TermContext } from './pattern.js';
import { stemmerFor } from './stemmer.js';
import type { TokenRules } from './tokens.js';
import { type TopicRules, topicRules } from './topic.js';

export const DEFAULT_WEIGHT = 0.9;

export interface CompiledRule {
  pattern: CompiledPattern;
  weight: number;
  negatable: boolean;
}

export interface CompiledEvent {
  type: CallEventType;
  rules: CompiledRule[];
  /** Patterns that keep the event from being suggested; one marked `negatable` not when negated. */
  unless: CompiledRule[];
  topic: TopicRules | null;
}

export interface CompiledLexicon {
  locale: string;
  tokens: TokenRules;
  negation: NegationRules;
  events: CompiledEvent[];
  minConfidence: number;
  names: ReturnType<typeof createNameMatcher>;
  /** How many distinct terms the patterns use (the size of a line's memo). */
  termCount: number;
}

export class LexiconError extends Error {}

const checkLexicon = TypeCompiler.Compile(Lexicon);
const KNOWN_EVENTS = new Set<string>(CALL_EVENT_TYPES);

/** Every problem of a lexicon's shape, as "path: message" lines (empty when it is well-formed). */
export function lexiconShapeErrors(lexicon: unknown): string[] {
  return [...checkLexicon.Errors(lexicon)].map((error) => `${error.path || '/'}: ${error.message}`);
}

const cache = new WeakMap<object, Map<string, { names: NameList; compiled: CompiledLexicon }>>();

export function compiledLexicon(lexicon: Lexicon, locale: string, names: NameList): CompiledLexicon {
  let byLocale = cache.get(lexicon);
  if (!byLocale) {
    byLocale = new Map();
    cache.set(lexicon, byLocale);
  }
  const known = byLocale.get(locale);
  if (known && known.names === names) return known.compiled;
  const compiled = compileLexicon(lexicon, locale, names);
  byLocale.set(locale, { names, compiled });
  return compiled;
}

/** Compiles, or throws a LexiconError naming the event and the pattern that is wrong. */
export function compileLexicon(lexicon: Lexicon, locale: string, names: NameList): CompiledLexicon {
  const shape = lexiconShapeErrors(lexicon);
  if (shape.length) throw new LexiconError(`the ${locale} lexicon is malformed: ${shape.slice(0, 5).join('; ')}`);
  const stem = stemmerFor(locale);
  const spelling = new Map<string, string[]>();
  for (const [from, to] of Object.entries(lexicon.spelling)) {
    spelling.set(normal(from), to.trim().split(/\s+/u).map(normal));
  }
  const negations = new Set(lexicon.negation.words.map(normal));
  const nameMatcher = createNameMatcher(names, lexicon.patronymicEndings);
  const sets = new Map(Object.entries(lexicon.sets));

  const events: CompiledEvent[] = [];
  const terms: TermContext['terms'] = new Map();
  const notNames = new Set(lexicon.notNames.map(normal));
  for (const [type, entry] of Object.entries(lexicon.events)) {
    if (!KNOWN_EVENTS.has(type)) throw new LexiconError(`lexicon.events: "${type}" is not an event of the script`);
    const ctx: TermContext = {
      terms,
      scope: type,
      stem,
      sets,
      slots: entry.slots ?? {},
      names: nameMatcher,
      notNames,
      negations,
    };
    const compileOne = (pattern: LexiconPattern, where: string, negatableByDefault = true): CompiledRule => {
      const source = typeof pattern === 'string' ? pattern : pattern.match;
      try {
        const compiledPattern = compilePattern(source, ctx);
        const options: { weight?: number; negatable?: boolean } = typeof pattern === 'string' ? {} : pattern;
        return {
          pattern: compiledPattern,
          weight: options.weight ?? entry.weight ?? DEFAULT_WEIGHT,
          // A pattern that names a negation itself is never cancelled by one.
          negatable:
            (options.negatable ?? (negatableByDefault ? (entry.negatable ?? true) : false)) &&
            !compiledPattern.hasNegation,
        };
      } catch (error) {
        if (error instanceof PatternError) throw new LexiconError(`${where} "${source}": ${error.message}`);
        throw error;
      }
    };
    const rules = entry.patterns.map((p, i) => compileOne(p, `lexicon.events["${type}"].patterns[${i}]`));
    // An exception holds under a negation ("не по почте" is still the post) unless its pattern
    // says `negatable: true` ("гражданство получил" is an exception, "не получил" none).
    const unless = (entry.unless ?? []).map((p, i) => compileOne(p, `lexicon.events["${type}"].unless[${i}]`, false));
    let topic: TopicRules | null = null;
    if (entry.topic) {
      const anchor = compileOne(entry.topic.anchor, `lexicon.events["${type}"].topic.anchor`).pattern.groups;
      const only = anchor.length === 1 && anchor[0]!.steps.length === 1 ? anchor[0]!.steps[0]! : null;
      if (!only) throw new LexiconError(`lexicon.events["${type}"].topic.anchor must be one term`);
      topic = topicRules(
        only.test,
        entry.topic.stops.map(normal),
        (entry.topic.drop ?? []).map(normal),
        entry.topic.maxWords,
      );
    }
    events.push({ type: type as CallEventType, rules, unless, topic });
  }

  return {
    locale,
    tokens: {
      stem,
      fillers: new Set(lexicon.fillers.map(normal).filter((filler) => !/\s/u.test(filler))),
      fillerPhrases: lexicon.fillers
        .map(normal)
        .filter((filler) => /\s/u.test(filler))
        .map((phrase) => phrase.split(/\s+/u))
        .sort((a, b) => b.length - a.length),
      boundaries: new Set(lexicon.boundaries.map(normal)),
      spelling,
    },
    negation: {
      words: negations,
      scope: lexicon.negation.scope,
      through: new Set((lexicon.negation.through ?? []).map(normal)),
    },
    events,
    minConfidence: lexicon.minConfidence,
    names: nameMatcher,
    termCount: terms.size,
  };
}

function normal(word: string): string {
  return word.toLowerCase().replace(/ё/g, 'е').trim();
}
