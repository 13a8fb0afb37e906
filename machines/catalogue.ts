/**
 * Phrase catalogues: the client's words are data (script/*.json); this file only reads them
 * and renders one prompt for one customer.
 */
import type { CallEventType, CustomerName } from './call.events.js';
import type { PromptKey } from './call.machine.js';
import type { Lexicon } from './lexicon.js';
import en from './script/en.json' with { type: 'json' };
import ru from './script/ru.json' with { type: 'json' };

export const LOCALES = ['ru', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

export interface CatalogueEntry {
  text: string;
  instruction: string | null;
  /** `seed`: verbatim from the client's script; `callflow`: written by us where the seed has none. */
  source: 'seed' | 'callflow';
}

export interface Catalogue {
  locale: Locale;
  prompts: Record<string, CatalogueEntry>;
  events: Record<string, string>;
  /** The customer's words behind each situation, for transcript suggestions (SPEC §12). */
  lexicon: Lexicon;
}

export const CATALOGUES: Record<Locale, Catalogue> = { ru: ru as Catalogue, en: en as Catalogue };

export interface RenderedPrompt {
  key: PromptKey;
  text: string;
  instruction: string | null;
}

/**
 * The customer's address at the start of a phrase: the seed writes "И.О." (and once "ИО"),
 * the English catalogue "{name}".
 */
const ADDRESS = /^\s*(?:И\.\s?О\.|ИО|\{name\})\s*,\s*/u;

export function addressOf(customer: CustomerName | null | undefined): string | null {
  if (!customer?.firstName) return null;
  return customer.patronymic ? `${customer.firstName} ${customer.patronymic}` : customer.firstName;
}

/** Fills in the address; with no name known yet the address is dropped and the next word capitalised. */
export function renderText(template: string, customer: CustomerName | null | undefined): string {
  const match = ADDRESS.exec(template);
  if (!match) return template.trim();
  const rest = template.slice(match[0].length);
  const address = addressOf(customer);
  if (address) return `${address}, ${rest}`;
  return rest.charAt(0).toLocaleUpperCase() + rest.slice(1);
}

export function renderPrompt(
  key: PromptKey,
  customer: CustomerName | null | undefined,
  locale: Locale = 'ru',
  catalogues: Record<Locale, Catalogue> = CATALOGUES,
): RenderedPrompt {
  const entry = catalogues[locale].prompts[key];
  if (!entry) throw new Error(`prompt "${key}" is missing from the ${locale} catalogue`);
  return { key, text: renderText(entry.text, customer), instruction: entry.instruction };
}

export function eventLabel(type: CallEventType, locale: Locale = 'ru'): string {
  return CATALOGUES[locale].events[type] ?? type;
}
