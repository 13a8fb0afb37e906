/**
 * A transcript line as words. Recognised speech comes lower-case or not, punctuated or not,
 * with "ё" or "е": every word gets a normal form (lower case, "ё" as "е", spelling variants
 * replaced) and a stem, and keeps where it stood in the text so evidence quotes the
 * customer's own words.
 */
import type { LineMemo } from './pattern.js';
import type { Stem } from './stemmer.js';

export interface Token {
  /** The word as written in the line (evidence quotes this). */
  surface: string;
  /** Lower case, "ё" as "е", after the lexicon's spelling replacements. */
  norm: string;
  stem: string;
  /** Offsets of the surface in the line. */
  start: number;
  end: number;
}

export interface Words {
  /** Every word of the line, fillers included. */
  all: Token[];
  /** The words that count for matching: no fillers. */
  content: Token[];
  /** Per content word, whether it is a clause boundary ("но", "а"): no gap reaches across one. */
  boundary: boolean[];
  /** What the lexicon's terms found in these words, when matching a whole lexicon. */
  memo?: LineMemo;
}

export interface TokenRules {
  stem: Stem;
  fillers: ReadonlySet<string>;
  /** Fillers of several words ("это самое", "так и" of "так и не нашла"), each as its words. */
  fillerPhrases: readonly (readonly string[])[];
  boundaries: ReadonlySet<string>;
  /** Normal form -> replacement words. */
  spelling: ReadonlyMap<string, string[]>;
}

/** Letters and digits, with inner apostrophes ("don't"); "*" inside or after letters is kept
 *  (recognisers mask swearing: "п***ц"). */
const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}]+)*(?:\*+[\p{L}\p{N}]*)*|\*{2,}/gu;

export function normalWord(word: string): string {
  return word.toLowerCase().replace(/ё/g, 'е').replace(/’/g, "'");
}

export function tokenise(text: string, rules: TokenRules): Words {
  const all: Token[] = [];
  for (const match of text.matchAll(WORD)) {
    const surface = match[0];
    const start = match.index;
    const norm = normalWord(surface);
    const replaced = rules.spelling.get(norm) ?? [norm];
    for (const word of replaced) {
      all.push({ surface, norm: word, stem: rules.stem(word), start, end: start + surface.length });
    }
  }
  const inPhrase = fillerPhraseWords(all, rules.fillerPhrases);
  const content: Token[] = [];
  const boundary: boolean[] = [];
  for (const [i, token] of all.entries()) {
    if (rules.fillers.has(token.norm) || inPhrase[i]) continue;
    content.push(token);
    // A boundary is still a word that a pattern may name ("почему бы и нет").
    boundary.push(rules.boundaries.has(token.norm));
  }
  return { all, content, boundary };
}

/** Which words belong to a filler phrase; the phrase is matched on normal forms, longest first. */
function fillerPhraseWords(all: readonly Token[], phrases: readonly (readonly string[])[]): boolean[] {
  const marked = new Array<boolean>(all.length).fill(false);
  if (phrases.length === 0) return marked;
  for (let i = 0; i < all.length; i++) {
    const phrase = phrases.find((words) => words.every((word, k) => all[i + k]?.norm === word));
    if (!phrase) continue;
    for (let k = 0; k < phrase.length; k++) marked[i + k] = true;
    i += phrase.length - 1;
  }
  return marked;
}
