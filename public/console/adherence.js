// @ts-check
/**
 * The chosen call's adherence figures (GET /v1/calls/{callId}/adherence): the same figures, by
 * the same SQL, as the report of SPEC §8, so a call's card and the report never disagree. Read
 * again when the call moves to a new version (at most every half second).
 */
import * as api from '../api.js';
import { state } from '../call/state.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { FIGURES } from '../reports/figures.js';
import { on } from '../shell/events.js';

/** @import { CallAdherence } from '../types.js' */

/** @type {import('./panels.js').Panel} */
export default {
  mount(card) {
    const title = h('h2', { dataset: { i18n: 'call.adherence' } }, t('call.adherence'));
    const list = h('dl', { id: 'call-adherence', class: 'adherence-figures' });
    card.append(title, list);
    /** @type {CallAdherence | null} */
    let figures = null;
    let asked = '';
    /** @type {ReturnType<typeof setTimeout> | null} */
    let timer = null;

    const render = () => {
      const mine = figures && figures.callId === state.callId ? figures : null;
      list.replaceChildren(
        ...(mine
          ? FIGURES.map((name) =>
              h(
                'div',
                { class: 'adherence-figure', dataset: { figure: name } },
                h('dt', {}, t(`figure.${name}`)),
                h('dd', {}, String(mine[name])),
              ),
            )
          : []),
      );
    };

    const fetchNow = async () => {
      timer = null;
      const callId = state.callId;
      if (!callId) return;
      try {
        const answer = await api.getCallAdherence(callId);
        if (answer.callId === state.callId) figures = answer;
      } catch {
        // A refused read leaves the card as it was; the call's own requests report errors.
      }
      render();
    };

    on('call', () => {
      const key = state.view ? `${state.view.callId}@${state.view.version}` : '';
      if (key && key !== asked) {
        asked = key;
        if (timer === null) timer = setTimeout(() => void fetchNow(), 500);
      }
      render();
    });
    on('locale', render);
    render();
  },
};
