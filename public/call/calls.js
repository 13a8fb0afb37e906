// @ts-check
/** The list of active calls: fetched on a timer while the page is visible, kept in step by views. */
import * as api from '../api.js';
import { emit } from '../shell/events.js';
import { state } from './state.js';

const CALLS_REFRESH_MS = 3000;
/** @type {ReturnType<typeof setInterval> | undefined} */
let timer;

/** The last refresh's failure, for the list to show ('' when it worked). */
export let callsError = '';

export async function refreshCalls() {
  if (!state.machine) return;
  try {
    const { calls } = await api.listActiveCalls();
    state.calls = calls;
    callsError = '';
  } catch (error) {
    const { status, message } = /** @type {api.ApiError} */ (error);
    if (status === 401) return;
    callsError = message;
  }
  emit('calls', undefined);
}

export function pollCalls() {
  clearInterval(timer);
  timer = setInterval(() => {
    if (document.visibilityState === 'visible') void refreshCalls();
  }, CALLS_REFRESH_MS);
}

/**
 * A view seen on the stream or in an answer updates its row: an ended call leaves the list.
 * @param {import('../types.js').CallView} view
 */
export function noteView(view) {
  const listed = state.calls.findIndex((c) => c.callId === view.callId);
  if (listed >= 0 && view.status === 'active') state.calls[listed] = view;
  else if (listed >= 0) state.calls.splice(listed, 1);
  else if (view.status === 'active') state.calls.unshift(view);
  emit('calls', undefined);
}
