// @ts-check
/** The "new call" form: a suggested id, the customer's name if known, the phrase language. */
import * as api from '../api.js';
import { refreshCalls } from '../call/calls.js';
import { applyView, selectCall } from '../call/chosen.js';
import { state } from '../call/state.js';
import { $, h } from '../dom.js';
import { clearErrors, showError } from '../shell/alerts.js';

/** @import { CreateCallBody } from '../types.js' */

function suggestCallId() {
  const now = new Date();
  /** @param {number} n */
  const pad = (n) => String(n).padStart(2, '0');
  return `op-${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}-${Math.floor(Math.random() * 1000)}`;
}

/** @param {SubmitEvent} event */
async function submitNewCall(event) {
  event.preventDefault();
  const form = /** @type {HTMLFormElement} */ (event.currentTarget);
  const data = new FormData(form);
  /** @param {string} name */
  const value = (name) => String(data.get(name) ?? '').trim();
  /** @type {CreateCallBody} */
  const body = { callId: value('callId'), locale: state.script?.locales.find((l) => l === value('locale')) ?? 'ru' };
  if (value('firstName')) {
    body.customer = { firstName: value('firstName') };
    if (value('patronymic')) body.customer.patronymic = value('patronymic');
  }
  const submit = $('button[type="submit"]', HTMLButtonElement, form);
  submit.disabled = true;
  try {
    const view = await api.createCall(body);
    clearErrors();
    form.reset();
    $('input[name="callId"]', HTMLInputElement, form).value = suggestCallId();
    state.callId = null;
    await selectCall(view.callId);
    applyView(view);
    void refreshCalls();
  } catch (error) {
    showError(error);
  } finally {
    submit.disabled = false;
  }
}

export function bindNewCall() {
  const form = $('#new-call', HTMLFormElement);
  form.addEventListener('submit', submitNewCall);
  $('input[name="callId"]', HTMLInputElement, form).value = suggestCallId();
}

/** The phrase languages the service has catalogues for. */
export function renderLocales() {
  $('#new-call-locale').replaceChildren(
    ...(state.script?.locales ?? []).map((locale) => h('option', { value: locale }, locale.toUpperCase())),
  );
}
