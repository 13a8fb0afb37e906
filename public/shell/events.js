// @ts-check
/**
 * What changed, told to whoever shows it: the call model emits, pages listen. A page never
 * calls another page's renderer; it reacts to the same topics as every other page.
 */

/**
 * @typedef {object} Topics
 * @property {undefined} ready       the catalogue and the machine are loaded
 * @property {undefined} calls       the list of active calls
 * @property {{ fresh: boolean }} call the chosen call or its view; fresh: a new version arrived
 * @property {undefined} history     the chosen call's history, or the entry pinned in it
 * @property {undefined} actions     what the operator can do now: busy, the open form
 * @property {string} stream         the event stream's status: live, connecting, offline
 * @property {string} locale         the UI language changed
 * @property {string} page           the page shown (its nav id)
 * @property {StreamedSuggestion} suggestion a transcript suggestion for the chosen call, from its stream
 * @property {undefined} token       a new API token was saved: what was refused without it may be asked again
 */

/** @import { StreamedSuggestion } from '../types.js' */

/** @type {Map<keyof Topics, Set<(detail: any) => void>>} */
const listeners = new Map();

/**
 * @template {keyof Topics} K
 * @param {K} topic
 * @param {(detail: Topics[K]) => void} listener
 * @returns {() => void} stops listening
 */
export function on(topic, listener) {
  const set = listeners.get(topic) ?? new Set();
  listeners.set(topic, set);
  set.add(listener);
  return () => set.delete(listener);
}

/**
 * @template {keyof Topics} K
 * @param {K} topic
 * @param {Topics[K]} detail
 */
export function emit(topic, detail) {
  for (const listener of listeners.get(topic) ?? []) {
    // One page's failure must not keep the others stale; the error still reaches the console.
    try {
      listener(detail);
    } catch (error) {
      reportError(error);
    }
  }
}
