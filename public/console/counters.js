// @ts-check
/** The call's counters against the machine's limits: a panel of the console (console/panels.js). */
import { state } from '../call/state.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { on } from '../shell/events.js';

/**
 * A counter against its limit; one without a configured limit shows its count alone.
 * @param {string} label
 * @param {number} value
 * @param {number | null | undefined} max
 * @param {string} cls
 */
function meter(label, value, max, cls) {
  let bar = null;
  if (max) {
    const fill = h('div', { class: 'meter-fill' });
    fill.style.width = `${Math.round(Math.min(1, value / max) * 100)}%`;
    bar = h('div', { class: 'meter' }, fill);
  }
  return h(
    'div',
    { class: `counter ${cls}${max && value >= max ? ' at-limit' : ''}`, dataset: { counter: cls } },
    h(
      'div',
      { class: 'counter-head' },
      h('span', {}, label),
      h('span', { class: 'counter-value' }, max ? `${value} / ${max}` : String(value)),
    ),
    bar,
  );
}

/** @type {import('./panels.js').Panel} */
export default {
  mount(card) {
    const title = h('h2', { dataset: { i18n: 'call.counters' } }, t('call.counters'));
    const list = h('div', { id: 'counters', class: 'counters' });
    card.append(title, list);
    const render = () => {
      const c = state.view?.counters;
      const limits = state.machine?.limits;
      list.replaceChildren(
        ...(c
          ? [
              meter(t('counter.repeats'), c.repeats, limits?.maxRepeats, 'repeats'),
              meter(
                t('counter.connectionAttempts'),
                c.connectionAttempts,
                limits?.maxConnectionAttempts,
                'connectionAttempts',
              ),
              meter(t('counter.warnings'), c.warnings, null, 'warnings'),
            ]
          : []),
      );
    };
    on('call', render);
    on('locale', render);
    render();
  },
};
