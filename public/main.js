// @ts-check
/**
 * The console's entry: the shell (tabs, token, language, alerts, the calls sidebar, the keys)
 * around the pages of nav.js, over the public API (SPEC §3). Loads the catalogue and the
 * machine, then the calls; again after a token is entered.
 */
import * as api from './api.js';
import { pollCalls, refreshCalls } from './call/calls.js';
import { selectCall } from './call/chosen.js';
import { bindShortcuts } from './call/shortcuts.js';
import { state } from './call/state.js';
import { renderCallsList } from './console/calls-list.js';
import { bindNewCall, renderLocales } from './console/new-call.js';
import { $ } from './dom.js';
import { NAV } from './nav.js';
import { showError } from './shell/alerts.js';
import { emit, on } from './shell/events.js';
import { bindLocaleSwitch, savedLocale, setLocale } from './shell/locale.js';
import { currentPage, navigate, preload, readHash, startRouter } from './shell/router.js';
import { bindTokenForm } from './shell/token.js';

/** The call the address asked for, followed once the machine is known. */
let wanted = readHash().callId;

/** @param {Promise<unknown>} pageMounted the first page, ready for input */
async function start(pageMounted) {
  try {
    const [script, machine] = await Promise.all([api.getScript(), api.getMachine(), pageMounted]);
    state.script = script;
    state.machine = machine;
  } catch (error) {
    showError(error);
    return;
  }
  emit('ready', undefined);
  document.body.dataset.ready = 'true';
  await refreshCalls();
  pollCalls();
  const callId = state.callId ?? wanted;
  wanted = null;
  if (callId) {
    state.callId = null;
    await selectCall(callId);
  }
  // Lay out what the operator may open next while they work.
  setTimeout(preload, 1500);
}

function boot() {
  bindTokenForm(() => void start(Promise.resolve()));
  bindLocaleSwitch();
  bindShortcuts();
  bindNewCall();
  $('#refresh-calls').addEventListener('click', () => void refreshCalls());
  on('calls', renderCallsList);
  on('call', renderCallsList);
  on('locale', renderCallsList);
  on('ready', renderLocales);
  setLocale(savedLocale());
  // An address edited by hand, a link such as the desk's #call=…, or Back: follow it (the
  // router's own writes replace the entry and fire no hashchange).
  window.addEventListener('hashchange', () => {
    const { page, callId } = readHash();
    if (page !== currentPage()) void navigate(page);
    if (callId && callId !== state.callId && document.body.dataset.ready === 'true') void selectCall(callId);
  });
  void start(startRouter(NAV));
}

boot();
