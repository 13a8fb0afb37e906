/**
 * Customers' first names and patronymics. First names come from a list shipped as data
 * (machines/lexicon/names.<locale>.json); a patronymic is recognised by its ending
 * (-ович, -евич, -овна, -евна, -ична...), since no list could hold them all.
 */

import namesRu from '../../machines/lexicon/names.ru.json' with { type: 'json' };
import type { NameList } from '../../machines/lexicon.js';
import { normalWord, type Token } from './tokens.js';

const SHIPPED: Record<string, NameList> = { ru: namesRu as NameList };

/** The shipped list of a locale (empty for a locale without one: `#name` then never matches). */
export function shippedNames(locale: string): NameList {
  return SHIPPED[locale] ?? { locale, source: 'none', names: [] };
}

export interface NameMatcher {
  /** The first name this word gives, as the list writes it, or null. */
  firstName(token: Token): string | null;
  /** The patronymic this word is (in the nominative, capitalised), or null. */
  patronymic(token: Token): string | null;
}

/** Instrumental endings ("меня зовут Наташей", "Иваном") and the nominative endings they replace. */
const INSTRUMENTAL: [ending: string, nominative: string[]][] = [
  ['ой', ['а']],
  ['ей', ['я', 'а', 'ь', 'й']],
  ['ем', ['й', 'ь']],
  ['ом', ['']],
];

/** Case endings of a patronymic, back to the nominative ("Сергеевной" -> "Сергеевна"). */
const PATRONYMIC_CASES: [ending: string, nominative: string][] = [
  ['ной', 'на'],
  ['ною', 'на'],
  ['ну', 'на'],
  ['ны', 'на'],
  ['не', 'на'],
  ['чем', 'ч'],
  ['ча', 'ч'],
  ['чу', 'ч'],
  ['че', 'ч'],
];

export function capitalise(word: string): string {
  return word
    .split('-')
    .map((part) => part.charAt(0).toLocaleUpperCase() + part.slice(1).toLocaleLowerCase())
    .join('-');
}

export function createNameMatcher(list: NameList, patronymicEndings: readonly string[]): NameMatcher {
  const byNorm = new Map<string, string>();
  for (const name of list.names) byNorm.set(normalWord(name), name);
  const endings = patronymicEndings.map(normalWord);

  const isPatronymic = (norm: string) => norm.length >= 5 && endings.some((ending) => norm.endsWith(ending));

  return {
    firstName(token) {
      const exact = byNorm.get(token.norm);
      if (exact) return exact;
      for (const [ending, nominatives] of INSTRUMENTAL) {
        if (!token.norm.endsWith(ending) || token.norm.length < ending.length + 2) continue;
        const base = token.norm.slice(0, -ending.length);
        for (const nominative of nominatives) {
          const name = byNorm.get(base + nominative);
          if (name) return name;
        }
      }
      return null;
    },
    patronymic(token) {
      let norm = token.norm;
      if (!isPatronymic(norm)) {
        const found = PATRONYMIC_CASES.find(([ending]) => norm.endsWith(ending));
        if (!found) return null;
        norm = norm.slice(0, -found[0].length) + found[1];
        if (!isPatronymic(norm)) return null;
      }
      // Keep the customer's "ё" where the line had it ("Фёдоровна").
      const surface = token.surface.toLowerCase();
      return capitalise(surface.length === norm.length && normalWord(surface) === norm ? surface : norm);
    },
  };
}
