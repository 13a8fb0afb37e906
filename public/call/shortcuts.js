// @ts-check
/**
 * Keys for the situations. The bindings and the order of the buttons are the service's data
 * (machines/shortcuts.json, served in GET /v1/machine as each event's `shortcut`, the events
 * listed in the console's order), not a second list here.
 */

import { closeForm, trigger } from './chosen.js';
import { state } from './state.js';

/** Ends the call whatever the state: shown apart, confirmed through its form. */
export const HANGUP = 'call.hangup';

/**
 * @param {string} type
 * @returns {string | null}
 */
export function shortcutOf(type) {
  return state.machine?.events.find((e) => e.type === type)?.shortcut ?? null;
}

/**
 * The allowed situations in the machine description's order, the hang-up apart.
 * @param {string[]} allowed
 */
export function orderedEvents(allowed) {
  /** @type {string[]} */
  const order = (state.machine?.events ?? []).map((e) => e.type);
  /** @param {string} type */
  const rank = (type) => (order.includes(type) ? order.indexOf(type) : order.length);
  return allowed.filter((type) => type !== HANGUP).sort((a, b) => rank(a) - rank(b));
}

/**
 * The event a key press stands for. The letter as typed where it is Latin; otherwise the key's
 * place on the keyboard, so a Russian layout presses the same buttons.
 * @param {KeyboardEvent} event
 */
function eventForKey(event) {
  const typed = event.key.toLowerCase();
  const letter = /^[a-z]$/.test(typed) ? typed : /^Key[A-Z]$/.test(event.code) ? event.code.slice(3).toLowerCase() : '';
  if (!letter) return null;
  return state.machine?.events.find((e) => e.shortcut === letter)?.type ?? null;
}

/** @param {KeyboardEvent} event */
function onKeydown(event) {
  if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.key === 'Escape') {
    closeForm();
    return;
  }
  if (event.target instanceof Element && event.target.closest('input, textarea, select, [contenteditable="true"]'))
    return;
  const type = eventForKey(event);
  if (!type || event.repeat || !state.view) return;
  event.preventDefault();
  trigger(type, { queue: true });
}

export function bindShortcuts() {
  document.addEventListener('keydown', onKeydown);
}
