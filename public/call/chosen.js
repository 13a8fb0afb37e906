// @ts-check
/**
 * The chosen call: its view (from the API, then from its SSE stream, so a timer-driven hold
 * check shows up without a reload), its history, and the events the operator sends to it.
 */
import * as api from '../api.js';
import { clearErrors, showError } from '../shell/alerts.js';
import { emit } from '../shell/events.js';
import { noteView } from './calls.js';
import { needsForm } from './labels.js';
import { state } from './state.js';

/** @import { CallView } from '../types.js' */

/** @type {EventSource | null} */
let stream = null;
/** @type {ReturnType<typeof setTimeout> | undefined} */
let historyTimer;
/** Keys pressed while an event is in flight wait their turn (a click meanwhile is ignored). @type {string[]} */
const keyQueue = [];

/** @param {string} status */
function setStreamStatus(status) {
  state.streamStatus = status;
  emit('stream', status);
}

function closeStream() {
  if (stream) stream.close();
  stream = null;
  setStreamStatus('offline');
}

/** @param {string} callId */
function openStream(callId) {
  closeStream();
  const source = new EventSource(api.streamUrl(callId));
  stream = source;
  setStreamStatus('connecting');
  source.addEventListener('open', () => setStreamStatus('live'));
  source.addEventListener('call', (message) => {
    try {
      applyView(JSON.parse(message.data));
    } catch (error) {
      showError(error);
    }
  });
  // Transcript suggestions (SPEC §12): not changes, so no view; whoever shows them listens.
  source.addEventListener('suggestion', (message) => {
    try {
      if (stream === source) emit('suggestion', JSON.parse(message.data));
    } catch (error) {
      showError(error);
    }
  });
  source.addEventListener('error', () => {
    if (stream !== source) return;
    if (source.readyState === EventSource.CLOSED) {
      // Refused outright (401, 404, server gone): find out why, then try again later.
      setStreamStatus('offline');
      api.getCall(callId).then(
        () => setTimeout(() => stream === source && state.callId === callId && openStream(callId), 3000),
        (error) => showError(error),
      );
    } else {
      setStreamStatus('connecting');
    }
  });
}

/**
 * Follows another call (or the same one again, after a new token): its view, stream and history.
 * @param {string | null} callId
 */
export async function selectCall(callId) {
  if (!callId) return;
  if (callId !== state.callId) {
    state.callId = callId;
    state.view = null;
    state.history = [];
    state.pinnedSeq = null;
    state.openForm = null;
  }
  emit('calls', undefined);
  emit('call', { fresh: false });
  emit('history', undefined);
  openStream(callId);
  try {
    applyView(await api.getCall(callId));
    await loadHistory();
  } catch (error) {
    showError(error);
    if (/** @type {api.ApiError} */ (error).status === 404) {
      closeStream();
      state.callId = null;
      emit('call', { fresh: false });
    }
  }
}

/**
 * A view of the chosen call, from an answer or the stream; an older version than ours is dropped.
 * @param {CallView | null | undefined} view
 */
export function applyView(view) {
  if (!view || view.callId !== state.callId) return;
  const previous = state.view;
  if (previous && view.version < previous.version) return;
  const changed = !previous || view.version !== previous.version;
  state.view = view;
  if (state.openForm && !(/** @type {string[]} */ (view.allowedEvents).includes(state.openForm))) state.openForm = null;
  emit('call', { fresh: changed && previous !== null });
  if (changed) scheduleHistory();
  noteView(view);
}

function scheduleHistory() {
  clearTimeout(historyTimer);
  historyTimer = setTimeout(() => loadHistory().catch(showError), 60);
}

async function loadHistory() {
  const callId = state.callId;
  if (!callId) return;
  const { events } = await api.getHistory(callId);
  if (callId !== state.callId) return;
  state.history = events;
  emit('history', undefined);
}

/**
 * Shows the state after one history entry instead of the live one (null: live again).
 * @param {number | null} seq
 * @param {{ toggle?: boolean }} [options] toggle: choosing the pinned entry again goes back to live
 */
export function pinEntry(seq, { toggle = false } = {}) {
  state.pinnedSeq = toggle && state.pinnedSeq === seq ? null : seq;
  emit('history', undefined);
}

/**
 * @param {string} type
 * @param {Record<string, string>} [data]
 */
export async function send(type, data) {
  if (state.busy || !state.callId) return;
  state.busy = true;
  emit('actions', undefined);
  try {
    const view = await api.sendEvent(state.callId, type, data);
    state.openForm = null;
    clearErrors();
    applyView(view);
  } catch (error) {
    showError(error);
    // "Not allowed now": our copy was stale; the problem lists what is allowed.
    if (/** @type {api.ApiError} */ (error).status === 409 && state.callId) {
      api.getCall(state.callId).then(applyView, () => {});
    }
  } finally {
    state.busy = false;
    emit('actions', undefined);
  }
  const next = keyQueue.shift();
  if (next) trigger(next, { queue: true });
}

/**
 * A situation chosen by button or key: sent at once, or its form opened when it takes data.
 * @param {string} type
 * @param {{ queue?: boolean }} [options] queue: a key press, kept while another event is in flight
 */
export function trigger(type, { queue = false } = {}) {
  if (state.busy) {
    if (queue && keyQueue.length < 5) keyQueue.push(type);
    return;
  }
  if (!(/** @type {string[] | undefined} */ (state.view?.allowedEvents)?.includes(type))) return;
  if (needsForm(type)) {
    state.openForm = state.openForm === type ? null : type;
    emit('actions', undefined);
  } else {
    void send(type);
  }
}

export function closeForm() {
  if (!state.openForm) return;
  state.openForm = null;
  emit('actions', undefined);
}
