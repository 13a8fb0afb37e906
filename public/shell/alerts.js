// @ts-check
/** Errors shown to the operator: a problem+json's title and detail, or "the service cannot be reached". */
import { $, h } from '../dom.js';
import { t } from '../i18n.js';

/**
 * @param {unknown} error an ApiError (status 0: the network), or anything thrown
 */
export function showError(error) {
  const box = $('#alerts');
  const { status, problem, message } =
    /** @type {{ status?: number, problem?: { title?: string, detail?: string } | null, message?: string }} */ (
      error ?? {}
    );
  const title = status === 0 ? t('error.network') : (problem?.title ?? t('error.title'));
  const detail = problem?.detail ?? message ?? String(error);
  const alert = h(
    'div',
    { class: 'alert', role: 'alert' },
    h(
      'div',
      { class: 'alert-body' },
      h('strong', {}, `${title}${status ? ` (${status})` : ''}`),
      ' ',
      h('span', { class: 'alert-detail' }, detail),
    ),
    h(
      'button',
      { type: 'button', class: 'ghost', 'aria-label': t('error.dismiss'), onclick: () => alert.remove() },
      '×',
    ),
  );
  box.replaceChildren(alert);
  setTimeout(() => alert.remove(), 12_000);
}

export function clearErrors() {
  $('#alerts').replaceChildren();
}
