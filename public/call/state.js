// @ts-check
/**
 * What the page knows, shared by every page: the catalogue and the machine (loaded once), the
 * active calls, and the call the operator has chosen with its view and history. Only the
 * modules of call/ write it; pages read it when a topic of shell/events.js tells them to.
 */

/** @import { CallView, HistoryEntry, MachineDescription, Script } from '../types.js' */

export const state = {
  /** @type {Script | null} */
  script: null,
  /** @type {MachineDescription | null} */
  machine: null,
  /** @type {CallView[]} */
  calls: [],
  /** @type {string | null} */
  callId: null,
  /** @type {CallView | null} */
  view: null,
  /** @type {HistoryEntry[]} */
  history: [],
  /** seq of the history entry the inspector shows instead of the live state. @type {number | null} */
  pinnedSeq: null,
  /** The event whose data form is open. @type {string | null} */
  openForm: null,
  /** An event is in flight. */
  busy: false,
  streamStatus: 'offline',
};
