// @ts-check
/**
 * Webhooks (SPEC §7, admin): the subscribed endpoints and each one's recent deliveries with
 * their attempts, and a button that sends a failed message again. The routes need the admin
 * role; another role's token gets the refusal shown as an alert.
 */
import { listWebhookDeliveries, listWebhooks, retryWebhookDelivery } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { showError } from '../shell/alerts.js';
import { on } from '../shell/events.js';

/** Deliveries shown per endpoint (the newest). */
const RECENT = 20;

/** @type {HTMLElement | null} */
let list = null;

/** @param {import('../types.js').WebhookDelivery} d */
function lastAnswer(d) {
  const last = d.attempts.at(-1);
  if (!last) return '—';
  return last.statusCode === null ? (last.error ?? '—') : String(last.statusCode);
}

/**
 * @param {import('../types.js').WebhookEndpoint} endpoint
 * @param {import('../types.js').WebhookDelivery} d
 */
function deliveryRow(endpoint, d) {
  const retry =
    d.status === 'failed' && endpoint.status === 'active'
      ? h(
          'button',
          {
            type: 'button',
            class: 'retry',
            onclick: async (/** @type {Event} */ event) => {
              const button = /** @type {HTMLButtonElement} */ (event.currentTarget);
              button.disabled = true;
              try {
                await retryWebhookDelivery(endpoint.id, d.id);
              } catch (error) {
                showError(error);
              }
              await refresh();
            },
          },
          t('webhooks.retry'),
        )
      : null;
  return h(
    'tr',
    { dataset: { message: d.id, status: d.status } },
    h('td', {}, new Date(d.createdAt).toLocaleTimeString()),
    h('td', {}, d.type),
    h('td', {}, d.callId),
    h('td', { class: `delivery-status ${d.status}` }, t(`webhooks.status.${d.status}`)),
    h('td', {}, String(d.attempts.length)),
    h('td', {}, lastAnswer(d)),
    h('td', {}, retry),
  );
}

/**
 * @param {import('../types.js').WebhookEndpoint} endpoint
 * @param {import('../types.js').WebhookDelivery[]} deliveries
 */
function endpointCard(endpoint, deliveries) {
  return h(
    'section',
    { class: 'card webhook', dataset: { endpoint: endpoint.id, status: endpoint.status } },
    h('h2', {}, endpoint.url),
    h(
      'p',
      { class: 'muted' },
      `${endpoint.description ?? ''} ${endpoint.types.join(', ')} · `,
      t(`webhooks.endpoint.${endpoint.status}`),
      endpoint.disabledReason ? ` (${endpoint.disabledReason})` : '',
    ),
    deliveries.length === 0
      ? h('p', { class: 'muted' }, t('webhooks.noDeliveries'))
      : h(
          'table',
          { class: 'data-table deliveries' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['time', 'type', 'call', 'status', 'attempts', 'answer', ''].map((k) =>
                h('th', {}, k ? t(`webhooks.col.${k}`) : ''),
              ),
            ),
          ),
          h(
            'tbody',
            {},
            deliveries.map((d) => deliveryRow(endpoint, d)),
          ),
        ),
  );
}

async function refresh() {
  if (!list) return;
  try {
    const { webhooks } = await listWebhooks();
    const logs = await Promise.all(webhooks.map((e) => listWebhookDeliveries(e.id, RECENT)));
    list.replaceChildren(
      ...(webhooks.length === 0
        ? [h('p', { class: 'muted' }, t('webhooks.none'))]
        : webhooks.map((e, i) => endpointCard(e, logs[i]?.deliveries ?? []))),
    );
  } catch (error) {
    showError(error);
  }
}

/** @type {import('../shell/router.js').Page} */
export default {
  mount(panel) {
    list = h('div', { id: 'webhook-list' });
    panel.append(
      h(
        'div',
        { class: 'card' },
        h('h2', {}, t('tab.webhooks')),
        h('p', { class: 'muted' }, t('webhooks.intro')),
        h('button', { type: 'button', id: 'refresh-webhooks', onclick: () => void refresh() }, t('calls.refresh')),
      ),
      list,
    );
    on('token', () => void refresh());
  },
  show() {
    void refresh();
  },
};
