// @ts-check
/**
 * The operator console: the chosen call's phrase, situations, counters, hold timer and
 * timeline. A click in the timeline opens the inspector on that entry.
 */
import { pinEntry } from '../call/chosen.js';
import { state } from '../call/state.js';
import { relabelForm, renderActions, renderCall, renderTimer } from '../console/call-panel.js';
import { PANELS } from '../console/panels.js';
import { renderTimeline } from '../console/timeline.js';
import { $, h } from '../dom.js';
import { t } from '../i18n.js';
import { showError } from '../shell/alerts.js';
import { on } from '../shell/events.js';
import { navigate } from '../shell/router.js';

function renderStream() {
  const badge = $('#stream-status');
  badge.dataset.status = state.streamStatus;
  badge.textContent = t(`stream.${state.streamStatus}`);
}

function renderHistory() {
  renderTimeline($('#timeline'), (seq) => {
    pinEntry(seq);
    void navigate('inspector');
  });
}

/**
 * Each panel of console/panels.js gets its card, in list order, and fills it once loaded. A
 * panel that fails is reported and left out: the console itself still works.
 */
async function mountPanels() {
  await Promise.all(
    PANELS.map(async (panel) => {
      const card = h('section', { class: 'card', id: `panel-${panel.id}` });
      $(`.panel-slot[data-slot="${panel.slot}"]`).append(card);
      try {
        (await panel.load()).default.mount(card);
      } catch (error) {
        card.remove();
        showError(error);
        reportError(error);
      }
    }),
  );
}

/** @type {import('../shell/router.js').Page} */
export default {
  async mount() {
    await mountPanels();
    on('call', ({ fresh }) => renderCall(fresh));
    on('actions', renderActions);
    on('history', renderHistory);
    on('stream', renderStream);
    on('locale', () => {
      relabelForm();
      renderStream();
      renderCall(false);
      renderHistory();
    });
    // The countdown ticks locally between stream messages.
    setInterval(renderTimer, 250);
    renderStream();
    renderCall(false);
    renderHistory();
  },
};
