// @ts-check
/**
 * Labels and lookups: what a call, an event, a state or a history entry is called on screen.
 * Event labels come from the catalogue of GET /v1/script, data fields from GET /v1/machine,
 * the page's own words from i18n.js.
 */

import { t, uiLocale } from '../i18n.js';
import { asPaths } from '../inspector.js';
import { state } from './state.js';

/** @import { Customer, DataField, HistoryEntry } from '../types.js' */

/** @param {string} type */
export function eventLabel(type) {
  const catalogues = state.script?.catalogues;
  return (catalogues?.[uiLocale()] ?? catalogues?.ru)?.events[type] ?? type;
}

/**
 * The fields an event's `data` takes, as the machine description lists them.
 * @param {string} type
 * @returns {[string, DataField][]}
 */
export function dataFields(type) {
  const event = state.machine?.events.find((e) => e.type === type);
  return Object.entries(/** @type {Record<string, DataField>} */ (event?.data ?? {}));
}

/** @param {string} type */
export const needsForm = (type) => dataFields(type).length > 0;

/** @param {Customer | null | undefined} customer */
export function customerName(customer) {
  if (!customer?.firstName) return null;
  return customer.patronymic ? `${customer.firstName} ${customer.patronymic}` : customer.firstName;
}

/**
 * "conversation.dialogue.talking" -> "dialogue: talking"; "hold" -> "hold".
 * @param {string} path
 */
export function shortState(path) {
  const parts = path.split('.');
  return parts.length > 2 ? `${parts.at(-2)}: ${parts.at(-1)}` : (parts.at(-1) ?? path);
}

export const timeFormat = () =>
  new Intl.DateTimeFormat(uiLocale() === 'en' ? 'en-GB' : 'ru-RU', {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });

/**
 * An enum value's UI word (phone, operator…); free text as it is.
 * @param {unknown} value
 */
export function valueLabel(value) {
  const key = `value.${value}`;
  return t(key) === key ? String(value) : t(key);
}

/** @param {HistoryEntry} entry */
export function historyLabel(entry) {
  if (entry.source === 'timer') return t('history.timer');
  return eventLabel(entry.type);
}

/** @param {HistoryEntry} entry */
export function historyDetail(entry) {
  const parts = [];
  const data = Object.entries(entry.data ?? {}).map(([k, v]) => `${t(`field.${k}`)}: ${valueLabel(v)}`);
  if (data.length) parts.push(data.join(', '));
  parts.push(`→ ${asPaths(entry.state).map(shortState).join(' · ')}`);
  return parts.join('  ');
}
