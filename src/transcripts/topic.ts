/**
 * The topic of an unknown-topic question: the asked-about thing ("новая рассылка про
 * кофеварку"), not the whole sentence. It is built around an anchor word (the lexicon's
 * `topic.anchor`, e.g. рассылка, реклама, розыгрыш): the adjectives just before it and the
 * words after it up to a stop word ("что", "расскажите"), a clause boundary or `maxWords`.
 */
import type { TermTest } from './pattern.js';
import type { Words } from './tokens.js';

export const TOPIC_MAX_CHARS = 500;
const DEFAULT_MAX_WORDS = 8;
const MAX_WORDS_BEFORE = 3;

export interface TopicRules {
  anchor: TermTest;
  stops: ReadonlySet<string>;
  drop: ReadonlySet<string>;
  maxWords: number;
  /** Whether a word is an adjective (by its ending) and so belongs to the noun after it. */
  adjective: (norm: string) => boolean;
}

export function topicRules(
  anchor: TermTest,
  stops: readonly string[],
  drop: readonly string[] = [],
  maxWords = DEFAULT_MAX_WORDS,
  adjective: (norm: string) => boolean = russianAdjective,
): TopicRules {
  return { anchor, stops: new Set(stops), drop: new Set(drop), maxWords, adjective };
}

/** Russian adjective and participle endings (новый, новую, рекламной, подарочным). */
const ADJECTIVE = /(?:ый|ий|ой|ая|яя|ое|ее|ую|юю|ые|ие|ых|их|ым|им|ого|его|ому|ему|ыми|ими)$/u;
export function russianAdjective(norm: string): boolean {
  return norm.length > 3 && ADJECTIVE.test(norm);
}

/**
 * The topic text, from the line's own words, or null when no anchor is found. `near` are the
 * content indices the situation matched: an anchor among or after them is preferred.
 */
export function extractTopic(words: Words, near: readonly number[], rules: TopicRules): string | null {
  const content = words.content;
  const from = near.length ? Math.min(...near) : 0;
  let anchor = -1;
  for (let i = 0; i < content.length && anchor < 0; i++) {
    if (i >= from && rules.anchor(content[i]!)) anchor = i;
  }
  for (let i = 0; i < content.length && anchor < 0; i++) if (rules.anchor(content[i]!)) anchor = i;
  if (anchor < 0) return null;

  const picked: number[] = [anchor];
  // Adjectives before the anchor ("новую рекламу"); dropped words ("какую-то") are passed over.
  for (let i = anchor - 1, taken = 0; i >= 0 && taken < MAX_WORDS_BEFORE; i--) {
    const norm = content[i]!.norm;
    if (words.boundary[i] || rules.stops.has(norm)) break;
    if (rules.drop.has(norm)) continue;
    if (!rules.adjective(norm)) break;
    picked.push(i);
    taken++;
  }
  for (let i = anchor + 1, taken = 0; i < content.length && taken < rules.maxWords; i++) {
    const norm = content[i]!.norm;
    if (words.boundary[i] || rules.stops.has(norm)) break;
    if (rules.drop.has(norm)) continue;
    picked.push(i);
    taken++;
  }
  // A preposition left hanging at the end says nothing ("рассылка про").
  picked.sort((a, b) => a - b);
  while (picked.length > 1 && content[picked.at(-1)!]!.norm.length <= 2 && picked.at(-1)! > anchor) picked.pop();

  let text = '';
  for (const index of picked) {
    const word = content[index]!.surface;
    if (text.length + word.length + 1 > TOPIC_MAX_CHARS) break;
    text = text ? `${text} ${word}` : word;
  }
  return text || null;
}
