// @ts-check
/**
 * Cards on the operator console beyond the call panel's own (the counters today; a transcript
 * box, …): one module and one entry each. The console gives every panel a card in its slot
 * (index.html: .panel-slot[data-slot]) in the order listed; the panel renders into it and
 * listens to the topics it shows (shell/events.js).
 */

/**
 * @typedef {object} Panel
 * @property {(card: HTMLElement) => void} mount fills its card and subscribes to what it shows
 */

/**
 * @typedef {object} PanelEntry
 * @property {string} id the card's id is panel-<id>
 * @property {'main' | 'side'} slot under the situations, or in the side column above the timeline
 * @property {() => Promise<{ default: Panel }>} load the panel's module
 */

/** @type {PanelEntry[]} */
export const PANELS = [
  { id: 'transcript', slot: 'main', load: () => import('./transcript.js') },
  { id: 'counters', slot: 'side', load: () => import('./counters.js') },
  { id: 'adherence', slot: 'side', load: () => import('./adherence.js') },
];
