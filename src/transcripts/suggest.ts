/**
 * Transcript suggestions (SPEC §12): one line of the customer in, the script's events its
 * words point to out, best first, each with its confidence and the words that showed it.
 * Only events allowed now are considered. The words are the lexicon's (the client's data);
 * this file only weighs what the patterns found.
 */
import { type CallEventType, type DataField, EVENT_DATA } from '../../machines/call.events.js';
import type { Lexicon, NameList } from '../../machines/lexicon.js';
import { type CompiledEvent, type CompiledLexicon, type CompiledRule, compiledLexicon } from './compile.js';
import { capitalise, shippedNames } from './names.js';
import { anyNegated } from './negation.js';
import { LineMemo, type Match } from './pattern.js';
import { tokenise, type Words } from './tokens.js';
import { extractTopic } from './topic.js';

export type Speaker = 'customer' | 'operator';

export interface Suggestion {
  type: CallEventType;
  data?: Record<string, string>;
  /** 0 to 1. */
  confidence: number;
  /** The words of the line that matched, in their order in the line. */
  evidence: string[];
}

export interface SuggestOptions {
  speaker: Speaker;
  /** The events the script allows now (a call view's `allowedEvents`). */
  allowedEvents: readonly string[];
  lexicon: Lexicon;
  locale: string;
  /** First names (default: the list shipped for the locale). */
  names?: NameList;
}

/** Any customer line while on hold is "the customer keeps talking" (SPEC §2, situation 3). */
const SPEECH: CallEventType = 'customer.speech';
const MAX_CONFIDENCE = 0.99;

interface Found {
  type: CallEventType;
  data: Record<string, string> | undefined;
  key: string;
  weight: number;
  tokens: number[];
}

export function suggest(text: string, options: SuggestOptions): Suggestion[] {
  // The operator's own lines are the script's words said back; they show no customer situation.
  if (options.speaker !== 'customer') return [];
  const lexicon = compiledLexicon(options.lexicon, options.locale, options.names ?? shippedNames(options.locale));
  const words = tokenise(text, lexicon.tokens);
  const allowed = new Set(options.allowedEvents);

  words.memo = new LineMemo(lexicon.termCount, words);
  const found: Found[] = [];
  const state: AcceptState = { words, lexicon, event: lexicon.events[0]!, negatable: false, data: undefined };
  for (const event of lexicon.events) {
    if (!allowed.has(event.type) || event.type === SPEECH) continue;
    if (event.unless.some((rule) => rule.pattern.match(words, exceptionCounts, { words, lexicon, rule }))) continue;
    state.event = event;
    for (const rule of event.rules) {
      state.negatable = rule.negatable;
      const match = rule.pattern.match(words, acceptMatch, state);
      if (!match) continue;
      const data = state.data ?? undefined;
      found.push({ type: event.type, data, key: keyOf(event.type, data), weight: rule.weight, tokens: match.tokens });
    }
  }

  const suggestions = combine(withoutSubsumed(found), words);
  if (allowed.has(SPEECH) && words.all.length > 0) suggestions.push({ type: SPEECH, confidence: 1, evidence: [] });
  return suggestions
    .filter((s) => s.confidence >= lexicon.minConfidence)
    .sort((a, b) => b.confidence - a.confidence || order(a.type) - order(b.type));
}

interface AcceptState {
  words: Words;
  lexicon: CompiledLexicon;
  event: CompiledEvent;
  negatable: boolean;
  /** The accepted match's data (undefined: the event takes none). */
  data: Record<string, string> | null | undefined;
}

/** Whether an exception counts: "гражданство получил" is one, "гражданство не получил" is none. */
function exceptionCounts(candidate: Match, state: { words: Words; lexicon: CompiledLexicon; rule: CompiledRule }) {
  return !state.rule.negatable || !anyNegated(state.words, candidate.tokens, state.lexicon.negation);
}

/** Whether a match counts: not negated ("теперь не слышу") and with the data its event needs. */
function acceptMatch(candidate: Match, state: AcceptState): boolean {
  if (state.negatable && anyNegated(state.words, candidate.tokens, state.lexicon.negation)) return false;
  state.data = dataOf(state.event, candidate, state.words, state.lexicon);
  return state.data !== null;
}

const EVENT_ORDER = new Map(Object.keys(EVENT_DATA).map((type, i) => [type, i]));
function order(type: string): number {
  return EVENT_ORDER.get(type) ?? 0;
}

function keyOf(type: string, data: Record<string, string> | undefined): string {
  return data ? `${type} ${JSON.stringify(data)}` : type;
}

/**
 * A match whose words all lie inside a longer match is not evidence of its own: "нет" inside
 * "почему бы и нет" is no refusal, "не слышу" inside "не слышу вас" is one cue, not two. And a
 * match of an event whose data says more about the same words wins: "Сергей" with "отчество
 * Викторович" is one name, not two suggestions.
 */
function withoutSubsumed(found: Found[]): Found[] {
  return found.filter(
    (small) =>
      !found.some(
        (big) =>
          big !== small &&
          ((big.tokens.length > small.tokens.length &&
            small.tokens.every((t) => big.tokens.includes(t)) &&
            (big.type !== small.type || big.key === small.key)) ||
            (big.type === small.type &&
              refines(big.data, small.data) &&
              small.tokens.some((t) => big.tokens.includes(t)))),
      ),
  );
}

/** Whether `more` has every field of `less`, equal, and at least one besides. */
function refines(more: Record<string, string> | undefined, less: Record<string, string> | undefined): boolean {
  if (!more || !less) return false;
  const fields = Object.keys(less);
  return Object.keys(more).length > fields.length && fields.every((field) => more[field] === less[field]);
}

/** Per event (and data), the matches' weights joined as independent cues: 1 - Π(1 - w). */
function combine(found: Found[], words: Words): Suggestion[] {
  // The same words matched by two patterns of one event are one cue, the stronger one.
  const cues = new Map<string, Found>();
  for (const f of found) {
    const signature = `${f.key} ${f.tokens.join(',')}`;
    const known = cues.get(signature);
    if (!known || known.weight < f.weight) cues.set(signature, f);
  }
  const byKey = new Map<string, { first: Found; miss: number; tokens: Set<number> }>();
  for (const f of cues.values()) {
    const group = byKey.get(f.key);
    if (group) {
      group.miss *= 1 - f.weight;
      for (const t of f.tokens) group.tokens.add(t);
    } else {
      byKey.set(f.key, { first: f, miss: 1 - f.weight, tokens: new Set(f.tokens) });
    }
  }
  return [...byKey.values()].map(({ first, miss, tokens }) => ({
    type: first.type,
    ...(first.data ? { data: first.data } : {}),
    confidence: Math.round(Math.min(MAX_CONFIDENCE, 1 - miss) * 100) / 100,
    evidence: evidenceOf(words, [...tokens]),
  }));
}

function evidenceOf(words: Words, indices: number[]): string[] {
  const evidence: string[] = [];
  let lastStart = -1;
  for (const index of indices.sort((a, b) => a - b)) {
    const token = words.content[index]!;
    // A spelling replacement may make two words of one ("неинтересно"): quote it once.
    if (token.start === lastStart) continue;
    lastStart = token.start;
    evidence.push(token.surface);
  }
  return evidence;
}

/**
 * The event's `data` from the match (undefined: the event takes none), or null when the event
 * needs data the line does not give, so it cannot be suggested.
 */
function dataOf(
  event: CompiledEvent,
  match: Match,
  words: Words,
  lexicon: CompiledLexicon,
): Record<string, string> | null | undefined {
  const fields = EVENT_DATA[event.type] as Record<string, DataField>;
  if (Object.keys(fields).length === 0) return undefined;
  const data: Record<string, string> = { ...match.slots };
  if (event.type === 'customer.identified') {
    const name = nameOf(match, words, lexicon);
    if (!name) return null;
    Object.assign(data, name);
  }
  if (event.topic) {
    const topic = extractTopic(words, match.tokens, event.topic);
    if (!topic) return null;
    data.topic = topic;
  }
  for (const [field, rule] of Object.entries(fields)) {
    const value = data[field];
    if (value === undefined) {
      if (rule.required) return null;
      continue;
    }
    const valid = rule.kind === 'enum' ? rule.values.includes(value) : value.length <= rule.maxLength;
    if (!valid) return null;
  }
  for (const field of Object.keys(data)) if (!(field in fields)) delete data[field];
  return data;
}

function nameOf(match: Match, words: Words, lexicon: CompiledLexicon) {
  const at = match.names.firstName ?? match.names.anyName;
  if (at === undefined) return null;
  const token = words.content[at]!;
  const firstName =
    match.names.firstName !== undefined ? lexicon.names.firstName(token) : capitalise(token.surface.toLowerCase());
  if (!firstName) return null;
  const next = words.content[at + 1];
  const patronymicToken =
    match.names.patronymic !== undefined
      ? words.content[match.names.patronymic]
      : next && next.start !== token.start
        ? next
        : undefined;
  const patronymic = patronymicToken ? lexicon.names.patronymic(patronymicToken) : null;
  return patronymic ? { firstName, patronymic } : { firstName };
}
