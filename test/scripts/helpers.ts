/** Scripts for the script-version tests: the shipped one as GET /v1/script gives it, edited. */
import { CATALOGUES } from '../../machines/catalogue.js';

export type Script = { catalogues: typeof CATALOGUES; limits?: Record<string, number> };

/** A deep copy of the shipped script, to edit. */
export function shippedScript(): Script {
  return { catalogues: structuredClone(CATALOGUES) };
}

/** The shipped script with the hold check phrase changed in both locales. */
export function withHoldCheck(ru: string, en: string): Script {
  const script = shippedScript();
  script.catalogues.ru.prompts['hold.check']!.text = ru;
  script.catalogues.en.prompts['hold.check']!.text = en;
  return script;
}

export const V2_RU = 'И.О., спасибо, что ждёте: я почти закончил';
export const V2_EN = '{name}, thank you for waiting, I am nearly done';
