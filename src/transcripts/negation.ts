/**
 * Negation scope. In Russian "не" negates what follows it: "я не иностранец" cancels
 * "иностранец", within a few words and never across a clause boundary ("не знаю, но я
 * иностранец" does not). A pattern that names the negation itself ("не гражданин", "карточки
 * & нет") carries its own meaning and is not cancelled.
 */
import type { Words } from './tokens.js';

export interface NegationRules {
  words: ReadonlySet<string>;
  /** How many words before the match a negation reaches. */
  scope: number;
  /** Words passed over without counting ("не очень хорошо"). */
  through: ReadonlySet<string>;
}

/** Whether the word at `index` (a content index) lies in the scope of a negation before it. */
export function isNegated(words: Words, index: number, rules: NegationRules): boolean {
  let reach = rules.scope;
  for (let i = index - 1; i >= 0 && reach > 0; i--) {
    const token = words.content[i]!;
    if (rules.words.has(token.norm)) return true;
    if (words.boundary[i]) return false;
    if (!rules.through.has(token.norm)) reach--;
  }
  return false;
}

/** Whether any of the matched words (content indices) lies in the scope of a negation. */
export function anyNegated(words: Words, indices: readonly number[], rules: NegationRules): boolean {
  return indices.some((index) => isNegated(words, index, rules));
}
