// @ts-check
/**
 * The flow inspector: the statechart of GET /v1/machine with the chosen call's state on it,
 * live or as it was after a history entry, and the call's timeline beside it.
 */
import { pinEntry, selectCall } from '../call/chosen.js';
import { historyLabel } from '../call/labels.js';
import { state } from '../call/state.js';
import { renderTimeline } from '../console/timeline.js';
import { $, h } from '../dom.js';
import { t } from '../i18n.js';
import { asPaths, FlowDiagram, initialPaths } from '../inspector.js';
import { showError } from '../shell/alerts.js';
import { on } from '../shell/events.js';
import { currentPage } from '../shell/router.js';

/** @type {FlowDiagram | null} */
let diagram = null;
/** @type {Promise<FlowDiagram | null> | null} */
let diagramReady = null;
let lastShown = '';

/** Lays the chart out once (elkjs is loaded on first use), then keeps it highlighted. */
function ensureDiagram() {
  if (!state.machine) return null;
  if (!diagramReady) {
    const flow = new FlowDiagram($('#diagram'));
    diagram = flow;
    $('#diagram').replaceChildren(h('p', { class: 'muted' }, t('inspector.loading')));
    diagramReady = flow.render(state.machine).then(
      () => {
        updateDiagram();
        return flow;
      },
      (error) => {
        diagramReady = null;
        showError(error);
        return null;
      },
    );
  }
  return diagramReady;
}

function updateDiagram() {
  const banner = $('#inspector-mode');
  const pinned = state.pinnedSeq === null ? null : (state.history.find((e) => e.seq === state.pinnedSeq) ?? null);
  const view = state.view;
  if (!state.callId || !view) banner.replaceChildren(h('span', { class: 'muted' }, t('inspector.noCall')));
  else if (pinned) {
    banner.replaceChildren(
      h('span', { class: 'mode-pinned' }, `${t('inspector.pinned')} #${pinned.seq}: ${historyLabel(pinned)}`),
      h(
        'button',
        { type: 'button', class: 'ghost small', id: 'back-to-live', onclick: () => pinEntry(null) },
        t('inspector.backToLive'),
      ),
    );
  } else {
    banner.replaceChildren(
      h('span', { class: 'mode-live' }, `${t('inspector.live')} ${state.callId} (v${view.version})`),
    );
  }
  const svg = diagram?.svg;
  if (!diagram || !svg || !state.machine) return;
  if (!state.callId || !view) {
    diagram.highlight([]);
    return;
  }
  const index = pinned ? state.history.indexOf(pinned) : state.history.length - 1;
  const entry = state.history[index] ?? null;
  const shown = pinned ? pinned.state : view.state;
  // The live state's "last transition" only once the history has caught up with the view.
  const lastMatches = entry !== null && (pinned || entry.seq === view.version);
  const previous = index > 0 ? state.history[index - 1] : undefined;
  const before = previous ? asPaths(previous.state) : initialPaths(state.machine);
  diagram.highlight(shown, lastMatches ? { entry, before } : {});
  const key = `${pinned ? pinned.seq : 'live'}:${JSON.stringify(shown)}`;
  svg.dataset.shown = pinned ? `seq-${pinned.seq}` : 'live';
  // At 100 % the chart is larger than its frame: bring what changed into view.
  if (key !== lastShown && currentPage() === 'inspector' && !$('#diagram').classList.contains('fit')) {
    svg.querySelector('g.state.active')?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }
  lastShown = key;
}

/** The inspector's own call picker (the sidebar is hidden here): active calls and the chosen one. */
function renderCallPicker() {
  const picker = $('#inspector-call', HTMLSelectElement);
  const ids = state.calls.map((c) => c.callId);
  if (state.callId && !ids.includes(state.callId)) ids.unshift(state.callId);
  picker.replaceChildren(
    h('option', { value: '' }, t('form.none')),
    ...ids.map((id) => h('option', { value: id, selected: id === state.callId }, id)),
  );
  picker.value = state.callId ?? '';
}

function renderHistory() {
  renderTimeline($('#inspector-timeline'), (seq) => pinEntry(seq, { toggle: true }));
  updateDiagram();
}

/** @type {import('../shell/router.js').Page} */
export default {
  mount() {
    const picker = $('#inspector-call', HTMLSelectElement);
    picker.addEventListener('change', () => {
      if (picker.value) void selectCall(picker.value);
    });
    const fitToggle = $('#fit-toggle');
    fitToggle.addEventListener('click', () => {
      const fit = $('#diagram').classList.toggle('fit');
      fitToggle.textContent = fit ? t('inspector.actual') : t('inspector.fit');
      fitToggle.dataset.i18n = fit ? 'inspector.actual' : 'inspector.fit';
    });
    on('calls', renderCallPicker);
    on('call', () => {
      renderCallPicker();
      updateDiagram();
    });
    on('history', renderHistory);
    on('ready', () => void ensureDiagram());
    on('locale', () => {
      renderCallPicker();
      renderHistory();
    });
    renderCallPicker();
    renderHistory();
    ensureDiagram();
  },
  show() {
    ensureDiagram();
  },
};
