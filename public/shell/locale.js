// @ts-check
/** The UI language (RU/EN buttons), remembered in localStorage; the call's phrases keep their own. */
import { setUiLocale, translatePage } from '../i18n.js';
import { emit } from './events.js';

const KEY = 'callflow.locale';

export function savedLocale() {
  try {
    return localStorage.getItem(KEY) || 'ru';
  } catch {
    return 'ru'; // no storage: Russian
  }
}

/** @param {string} locale */
export function setLocale(locale) {
  setUiLocale(locale);
  try {
    localStorage.setItem(KEY, locale);
  } catch {
    // private mode: the choice lasts for this page
  }
  for (const button of document.querySelectorAll('[data-locale]')) {
    button.setAttribute('aria-pressed', String(button instanceof HTMLElement && button.dataset.locale === locale));
  }
  translatePage();
  emit('locale', locale);
}

export function bindLocaleSwitch() {
  for (const button of document.querySelectorAll('[data-locale]')) {
    if (!(button instanceof HTMLElement)) continue;
    button.addEventListener('click', () => setLocale(button.dataset.locale ?? 'ru'));
  }
}
