// @ts-check
/** The API token form: shown on a 401 or from the top bar; the token lives in this tab only. */
import * as api from '../api.js';
import { $ } from '../dom.js';
import { t } from '../i18n.js';
import { clearErrors } from './alerts.js';
import { emit } from './events.js';

/** @param {string} [message] */
export function showTokenForm(message) {
  $('#token-form').hidden = false;
  $('#token-hint').textContent = message ?? t('token.hint');
  $('#token-input').focus();
}

/**
 * @param {() => void} onToken called once a token is saved: the page loads again with it. Pages
 * that read their own data (the desk, the report, the webhooks) hear `token` and read it again:
 * a page opened by its address was refused before the token was typed.
 */
export function bindTokenForm(onToken) {
  const form = $('#token-form', HTMLFormElement);
  const input = $('#token-input', HTMLInputElement);
  $('#token-button').addEventListener('click', () => {
    if (form.hidden) showTokenForm(t('token.hint'));
    else form.hidden = true;
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    api.setToken(input.value.trim());
    input.value = '';
    form.hidden = true;
    clearErrors();
    onToken();
    emit('token', undefined);
  });
  $('#token-clear').addEventListener('click', () => {
    api.setToken('');
    form.hidden = true;
  });
  api.onUnauthorized(() => showTokenForm(t('token.hint')));
}
