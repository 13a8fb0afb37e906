/**
 * Word stems (Snowball) per locale. Stemming is the recogniser's answer to inflection:
 * "карточки", "карточку", "карточкой" all become "карточк". Stems are cached because a call
 * centre's vocabulary is small and the same words come back in every line.
 */
import { newStemmer } from 'snowball-stemmers';

const ALGORITHMS: Record<string, string> = { ru: 'russian', en: 'english' };
/** Enough for any centre's vocabulary; past it the cache starts again rather than grow. */
const CACHE_LIMIT = 50_000;

export type Stem = (word: string) => string;

const stemmers = new Map<string, Stem>();

export function stemmerFor(locale: string): Stem {
  let stem = stemmers.get(locale);
  if (!stem) {
    const algorithm = ALGORITHMS[locale];
    if (!algorithm) throw new Error(`no stemmer for locale "${locale}"`);
    const stemmer = newStemmer(algorithm);
    const cache = new Map<string, string>();
    stem = (word) => {
      let stemmed = cache.get(word);
      if (stemmed === undefined) {
        if (cache.size >= CACHE_LIMIT) cache.clear();
        // Digits and masked words ("п***ц") are kept as they are.
        stemmed = /^\p{L}+$/u.test(word) ? stemmer.stem(word) : word;
        cache.set(word, stemmed);
      }
      return stemmed;
    };
    stemmers.set(locale, stem);
  }
  return stem;
}
