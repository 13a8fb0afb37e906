// @ts-check
/** The chosen call's history as a list, newest last; the console and the inspector each show one. */

import { historyDetail, historyLabel, timeFormat } from '../call/labels.js';
import { state } from '../call/state.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { asPaths } from '../inspector.js';

/**
 * Fills the list; choosing an entry (click, Enter, Space) calls onChoose with its seq.
 * @param {HTMLElement} list
 * @param {(seq: number) => void} onChoose
 */
export function renderTimeline(list, onChoose) {
  const format = timeFormat();
  const items = state.history.map((entry) =>
    h(
      'li',
      {
        class: `entry source-${entry.source}${entry.seq === state.pinnedSeq ? ' selected' : ''}`,
        dataset: { seq: entry.seq, type: entry.type },
        tabindex: 0,
        role: 'button',
        title: asPaths(entry.state).join('\n'),
        onclick: () => onChoose(entry.seq),
        /** @param {KeyboardEvent} e */
        onkeydown: (e) => {
          if (e.key === 'Enter' || e.key === ' ') {
            e.preventDefault();
            onChoose(entry.seq);
          }
        },
      },
      h('span', { class: 'entry-seq' }, `#${entry.seq}`),
      h('time', { datetime: entry.at }, format.format(new Date(entry.at))),
      h('span', { class: 'entry-label' }, historyLabel(entry)),
      h(
        'span',
        { class: 'entry-detail' },
        entry.source === 'timer' ? h('span', { class: 'timer-badge' }, t('history.timerBadge')) : null,
        historyDetail(entry),
      ),
      entry.prompts[0] ? h('span', { class: 'entry-prompt' }, entry.prompts[0].text) : null,
    ),
  );
  list.replaceChildren(...(items.length ? items : [h('li', { class: 'muted empty' }, t('call.historyEmpty'))]));
  list.scrollTop = list.scrollHeight;
}
