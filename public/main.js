/**
 * The operator console and the flow inspector: one page over the public API (SPEC §3).
 * What to say comes from the call view (prompts[].text, rendered by the service), what may
 * happen now from view.allowedEvents, every label from the catalogues of GET /v1/script, the
 * limits and event data fields from GET /v1/machine. The chosen call follows its SSE stream, so
 * a timer-driven hold check shows up without a reload.
 */
import * as api from './api.js';
import { $, h } from './dom.js';
import { setUiLocale, t, translatePage, uiLocale } from './i18n.js';
import { asPaths, FlowDiagram, initialPaths } from './inspector.js';

/** Keys for the frequent situations, in the order their buttons are shown. */
const SHORTCUTS = {
  'call.hold': 'h',
  'call.unhold': 'u',
  'customer.speech': 's',
  'answer.given': 'a',
  'customer.repeat-request': 'r',
  'customer.cannot-hear': 'c',
  'customer.inaudible': 'i',
  'connection.restored': 'o',
  'customer.identified': 'n',
  'customer.location-question': 'l',
  'customer.unknown-topic': 't',
  'customer.contact-refused': 'f',
  'customer.no-card': 'k',
  'customer.profanity': 'p',
  'customer.prank': 'x',
  'customer.third-party': 'g',
  'customer.non-citizen': 'z',
  'offer.accepted': 'y',
  'offer.declined': 'd',
};
const KEY_TO_EVENT = Object.fromEntries(Object.entries(SHORTCUTS).map(([type, key]) => [key, type]));
/** Ends the call whatever the state: shown apart, confirmed through its form. */
const HANGUP = 'call.hangup';
const CALLS_REFRESH_MS = 3000;

const state = {
  script: null,
  machine: null,
  calls: [],
  callId: null,
  view: null,
  history: [],
  /** seq of the history entry the inspector shows instead of the live state. */
  pinnedSeq: null,
  tab: 'console',
  openForm: null,
  busy: false,
  streamStatus: 'offline',
};

let stream = null;
let diagram = null;
let diagramReady = null;
let historyTimer = null;
let callsTimer = null;
let lastShown = '';

// ---------------------------------------------------------------- labels and lookups

function catalogue() {
  const catalogues = state.script?.catalogues ?? {};
  return catalogues[uiLocale()] ?? catalogues.ru ?? { events: {}, prompts: {} };
}

function eventLabel(type) {
  return catalogue().events?.[type] ?? type;
}

function dataFields(type) {
  const event = state.machine?.events?.find((e) => e.type === type);
  return Object.entries(event?.data ?? {});
}

const needsForm = (type) => dataFields(type).length > 0;

function customerName(customer) {
  if (!customer?.firstName) return null;
  return customer.patronymic ? `${customer.firstName} ${customer.patronymic}` : customer.firstName;
}

/** "conversation.dialogue.talking" -> "dialogue: talking"; "hold" -> "hold". */
function shortState(path) {
  const parts = path.split('.');
  return parts.length > 2 ? `${parts.at(-2)}: ${parts.at(-1)}` : parts.at(-1);
}

const timeFormat = () =>
  new Intl.DateTimeFormat(uiLocale() === 'en' ? 'en-GB' : 'ru-RU', {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });

// ---------------------------------------------------------------- errors

function showError(error) {
  const box = $('#alerts');
  const network = error?.status === 0;
  const title = network ? t('error.network') : (error?.problem?.title ?? t('error.title'));
  const detail = error?.problem?.detail ?? error?.message ?? String(error);
  const alert = h(
    'div',
    { class: 'alert', role: 'alert' },
    h(
      'div',
      { class: 'alert-body' },
      h('strong', {}, `${title}${error?.status ? ` (${error.status})` : ''}`),
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

function clearErrors() {
  $('#alerts').replaceChildren();
}

// ---------------------------------------------------------------- token

function showTokenForm(message) {
  const form = $('#token-form');
  form.hidden = false;
  $('#token-hint').textContent = message ?? t('token.hint');
  $('#token-input').focus();
}

// ---------------------------------------------------------------- calls list

async function refreshCalls() {
  if (!state.machine) return;
  try {
    const { calls } = await api.listActiveCalls();
    state.calls = calls;
    renderCalls();
  } catch (error) {
    if (error.status !== 401) $('#calls-status').textContent = error.message;
  }
}

/** The inspector's own call picker (the sidebar is hidden there): active calls and the chosen one. */
function renderCallPicker() {
  const picker = $('#inspector-call');
  const ids = state.calls.map((c) => c.callId);
  if (state.callId && !ids.includes(state.callId)) ids.unshift(state.callId);
  picker.replaceChildren(
    h('option', { value: '' }, t('form.none')),
    ...ids.map((id) => h('option', { value: id, selected: id === state.callId }, id)),
  );
  picker.value = state.callId ?? '';
}

function renderCalls() {
  renderCallPicker();
  const list = $('#call-list');
  $('#calls-status').textContent = state.calls.length === 0 ? t('calls.empty') : '';
  list.replaceChildren(
    ...state.calls.map((call) => {
      const paths = asPaths(call.state);
      const onHold = paths.includes('hold');
      return h(
        'li',
        {},
        h(
          'button',
          {
            type: 'button',
            class: `call-item${onHold ? ' on-hold' : ''}`,
            'aria-current': call.callId === state.callId ? 'true' : null,
            dataset: { callId: call.callId },
            onclick: () => selectCall(call.callId),
          },
          h('span', { class: 'call-item-id' }, call.callId),
          h('span', { class: 'call-item-name' }, customerName(call.customer) ?? t('call.nameUnknown')),
          h('span', { class: 'call-item-state' }, paths.map(shortState).join(' · ')),
        ),
      );
    }),
  );
}

// ---------------------------------------------------------------- the chosen call

function writeHash() {
  const params = new URLSearchParams();
  if (state.callId) params.set('call', state.callId);
  if (state.tab !== 'console') params.set('tab', state.tab);
  const hash = params.toString();
  history.replaceState(null, '', hash ? `#${hash}` : location.pathname);
}

function readHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  return { callId: params.get('call'), tab: params.get('tab') === 'inspector' ? 'inspector' : 'console' };
}

function closeStream() {
  if (stream) stream.close();
  stream = null;
  setStreamStatus('offline');
}

function setStreamStatus(status) {
  state.streamStatus = status;
  const badge = $('#stream-status');
  badge.dataset.status = status;
  badge.textContent = t(`stream.${status}`);
}

function openStream(callId) {
  closeStream();
  const source = new EventSource(api.streamUrl(callId));
  stream = source;
  setStreamStatus('connecting');
  source.addEventListener('open', () => setStreamStatus('live'));
  source.addEventListener('call', (message) => {
    try {
      applyView(JSON.parse(message.data));
    } catch (error) {
      showError(error);
    }
  });
  source.addEventListener('error', () => {
    if (stream !== source) return;
    if (source.readyState === EventSource.CLOSED) {
      // Refused outright (401, 404, server gone): find out why, then try again later.
      setStreamStatus('offline');
      api.getCall(callId).then(
        () => setTimeout(() => stream === source && state.callId === callId && openStream(callId), 3000),
        (error) => showError(error),
      );
    } else {
      setStreamStatus('connecting');
    }
  });
}

async function selectCall(callId) {
  if (!callId) return;
  if (callId !== state.callId) {
    state.callId = callId;
    state.view = null;
    state.history = [];
    state.pinnedSeq = null;
    state.openForm = null;
  }
  writeHash();
  renderCalls();
  renderCall(false);
  openStream(callId);
  try {
    applyView(await api.getCall(callId));
    await loadHistory();
  } catch (error) {
    showError(error);
    if (error.status === 404) {
      closeStream();
      state.callId = null;
      writeHash();
      renderCall(false);
    }
  }
}

function applyView(view) {
  if (!view || view.callId !== state.callId) return;
  const previous = state.view;
  if (previous && view.version < previous.version) return;
  const changed = !previous || view.version !== previous.version;
  state.view = view;
  if (state.openForm && !view.allowedEvents.includes(state.openForm)) state.openForm = null;
  renderCall(changed && previous !== null);
  if (changed) scheduleHistory();
  const listed = state.calls.findIndex((c) => c.callId === view.callId);
  if (listed >= 0 && view.status === 'active') state.calls[listed] = view;
  else if (listed >= 0) state.calls.splice(listed, 1);
  else if (view.status === 'active') state.calls.unshift(view);
  renderCalls();
}

function scheduleHistory() {
  clearTimeout(historyTimer);
  historyTimer = setTimeout(() => loadHistory().catch(showError), 60);
}

async function loadHistory() {
  const callId = state.callId;
  if (!callId) return;
  const { events } = await api.getHistory(callId);
  if (callId !== state.callId) return;
  state.history = events;
  renderHistory();
  updateDiagram();
}

async function send(type, data) {
  if (state.busy || !state.callId) return;
  state.busy = true;
  renderSituations();
  try {
    const view = await api.sendEvent(state.callId, type, data);
    state.openForm = null;
    clearErrors();
    applyView(view);
  } catch (error) {
    showError(error);
    // "Not allowed now": our copy was stale; the problem lists what is allowed.
    if (error.status === 409 && state.callId) api.getCall(state.callId).then(applyView, () => {});
  } finally {
    state.busy = false;
    renderSituations();
    renderForm();
  }
  const next = keyQueue.shift();
  if (next) trigger(next, { queue: true });
}

/** Keys pressed while an event is in flight wait their turn (a click meanwhile is ignored). */
const keyQueue = [];

function trigger(type, { queue = false } = {}) {
  if (state.busy) {
    if (queue && keyQueue.length < 5) keyQueue.push(type);
    return;
  }
  if (!state.view?.allowedEvents.includes(type)) return;
  if (needsForm(type)) {
    state.openForm = state.openForm === type ? null : type;
    renderForm();
    renderSituations();
  } else {
    void send(type);
  }
}

// ---------------------------------------------------------------- rendering the console

function renderCall(fresh) {
  const view = state.view;
  $('#call-empty').hidden = Boolean(state.callId);
  $('#call-panel').hidden = !state.callId;
  if (!state.callId) {
    updateDiagram();
    return;
  }
  $('#call-id').textContent = state.callId;
  $('#call-customer').textContent = customerName(view?.customer) ?? t('call.nameUnknown');
  const status = $('#call-status');
  status.dataset.status = view?.status ?? '';
  status.textContent = view ? t(`call.status.${view.status}`) : '…';
  $('#call-locale').textContent = view?.locale?.toUpperCase() ?? '';
  $('#call-state').replaceChildren(
    ...asPaths(view?.state).map((p) =>
      h('span', { class: `chip${p === 'hold' ? ' chip-hold' : ''}`, title: p }, shortState(p)),
    ),
  );
  renderPhrase(fresh);
  renderSituations();
  renderForm();
  renderCounters();
  renderTimer();
  updateDiagram();
}

function renderPhrase(fresh) {
  const view = state.view;
  const card = $('#phrase');
  const prompts = view?.prompts ?? [];
  const notes = [];
  for (const action of view?.actions ?? []) {
    notes.push(h('p', { class: 'action-note' }, t(`action.${action.type}`), action.topic ? `: «${action.topic}»` : ''));
  }
  if (view?.status === 'ended') {
    notes.push(h('p', { class: 'end-note' }, `${t('call.endReason')}: ${t(`end.${view.endReason}`)}`));
  }
  if (view?.skippedFields?.length) {
    notes.push(
      h('p', { class: 'skipped-note' }, `${t('call.skipped')}: ${view.skippedFields.map(valueLabel).join(', ')}`),
    );
  }
  const body =
    prompts.length === 0
      ? [h('p', { class: 'phrase-empty' }, view ? t('call.nothingToSay') : '…')]
      : prompts.map((prompt) =>
          h(
            'div',
            { class: 'prompt', dataset: { key: prompt.key } },
            h('p', { class: 'phrase-text', lang: view.locale }, prompt.text),
            prompt.instruction ? h('p', { class: 'instruction', lang: view.locale }, prompt.instruction) : null,
          ),
        );
  card.replaceChildren(h('div', { class: 'card-label' }, t('call.say')), ...body, ...notes);
  card.dataset.keys = prompts.map((p) => p.key).join(' ');
  if (fresh && prompts.length > 0) {
    card.classList.remove('fresh');
    void card.offsetWidth; // restart the animation
    card.classList.add('fresh');
  }
}

function orderedEvents(allowed) {
  const order = Object.keys(SHORTCUTS);
  const rank = (type) => (order.includes(type) ? order.indexOf(type) : order.length);
  return allowed.filter((type) => type !== HANGUP).sort((a, b) => rank(a) - rank(b));
}

function situationButton(type) {
  const key = SHORTCUTS[type];
  const form = needsForm(type);
  return h(
    'button',
    {
      type: 'button',
      class: `situation${type === HANGUP ? ' danger' : ''}${state.openForm === type ? ' open' : ''}`,
      disabled: state.busy,
      dataset: { event: type },
      'aria-keyshortcuts': key ?? null,
      'aria-expanded': form ? String(state.openForm === type) : null,
      title: type,
      onclick: () => trigger(type),
    },
    h('span', { class: 'situation-label' }, eventLabel(type), form ? '…' : ''),
    key ? h('kbd', {}, key.toUpperCase()) : null,
  );
}

function renderSituations() {
  const view = state.view;
  const box = $('#situations');
  const allowed = view?.allowedEvents ?? [];
  if (view && allowed.length === 0) {
    box.replaceChildren(h('p', { class: 'muted' }, t('call.noSituations')));
    $('#hangup').replaceChildren();
    return;
  }
  box.replaceChildren(...orderedEvents(allowed).map(situationButton));
  $('#hangup').replaceChildren(...(allowed.includes(HANGUP) ? [situationButton(HANGUP)] : []));
}

function fieldControl(type, name, field) {
  const id = `field-${type}-${name}`.replace(/[^\w-]/g, '-');
  const label = t(`field.${name}`);
  let control;
  if (field.kind === 'enum') {
    const options = field.values.map((value) => h('option', { value }, valueLabel(value)));
    if (!field.required) options.unshift(h('option', { value: '' }, t('form.none')));
    control = h('select', { id, name, required: field.required }, options);
  } else {
    const current = type === 'customer.identified' ? state.view?.customer?.[name] : undefined;
    control = h('input', {
      id,
      name,
      type: 'text',
      required: field.required,
      minlength: field.minLength,
      maxlength: field.maxLength,
      autocomplete: 'off',
      value: current,
    });
  }
  return h('label', { class: 'field', for: id }, h('span', {}, label, field.required ? ' *' : ''), control);
}

function renderForm() {
  const box = $('#event-form');
  const type = state.openForm;
  if (!type) {
    box.hidden = true;
    box.replaceChildren();
    return;
  }
  if (box.dataset.event === type && !box.hidden) {
    for (const control of box.querySelectorAll('button')) control.disabled = state.busy;
    return;
  }
  const fields = dataFields(type);
  const form = h(
    'form',
    {
      class: `event-form${type === HANGUP ? ' danger' : ''}`,
      dataset: { event: type },
      onsubmit: (e) => {
        e.preventDefault();
        const data = {};
        for (const [name] of fields) {
          const value = String(new FormData(form).get(name) ?? '').trim();
          if (value !== '') data[name] = value;
        }
        void send(type, data);
      },
    },
    h('h3', {}, eventLabel(type)),
    h(
      'div',
      { class: 'fields' },
      fields.map(([name, field]) => fieldControl(type, name, field)),
    ),
    h(
      'div',
      { class: 'form-actions' },
      h(
        'button',
        { type: 'submit', class: type === HANGUP ? 'danger-solid' : 'primary', disabled: state.busy },
        t('form.send'),
      ),
      h('button', { type: 'button', class: 'ghost', onclick: closeForm }, t('form.cancel')),
    ),
  );
  box.dataset.event = type;
  box.replaceChildren(form);
  box.hidden = false;
  form.querySelector('input, select')?.focus();
}

function closeForm() {
  if (!state.openForm) return;
  state.openForm = null;
  renderForm();
  renderSituations();
}

/** A counter against its limit; one without a configured limit shows its count alone. */
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

function renderCounters() {
  const c = state.view?.counters;
  const limits = state.machine?.limits ?? {};
  if (!c) {
    $('#counters').replaceChildren();
    return;
  }
  $('#counters').replaceChildren(
    meter(t('counter.repeats'), c.repeats, limits.maxRepeats, 'repeats'),
    meter(t('counter.connectionAttempts'), c.connectionAttempts, limits.maxConnectionAttempts, 'connectionAttempts'),
    meter(t('counter.warnings'), c.warnings, null, 'warnings'),
  );
}

function renderTimer() {
  const box = $('#hold-timer');
  const timer = state.view?.timers?.find((x) => x.name === 'hold.check');
  if (!timer || state.view.status !== 'active') {
    box.hidden = true;
    return;
  }
  box.hidden = false;
  const total = (state.machine?.limits?.holdCheckSeconds ?? 30) * 1000;
  const left = Math.max(0, Date.parse(timer.dueAt) - api.serverNow());
  const seconds = Math.ceil(left / 1000);
  $('#hold-timer-label').textContent = left > 0 ? t('call.holdCheck') : t('call.holdCheckDue');
  $('#hold-timer-value').textContent =
    left > 0 ? `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}` : '0:00';
  $('#hold-timer-fill').style.width = `${Math.round((left / total) * 100)}%`;
  box.classList.toggle('due', left <= 0);
}

/** An enum value's UI word (phone, operator…); free text as it is. */
function valueLabel(value) {
  const key = `value.${value}`;
  return t(key) === key ? String(value) : t(key);
}

function historyLabel(entry) {
  if (entry.source === 'timer') return t('history.timer');
  return eventLabel(entry.type);
}

function historyDetail(entry) {
  const parts = [];
  const data = Object.entries(entry.data ?? {}).map(([k, v]) => `${t(`field.${k}`)}: ${valueLabel(v)}`);
  if (data.length) parts.push(data.join(', '));
  parts.push(`→ ${asPaths(entry.state).map(shortState).join(' · ')}`);
  return parts.join('  ');
}

function timelineItems(interactive) {
  const format = timeFormat();
  return state.history.map((entry) =>
    h(
      'li',
      {
        class: `entry source-${entry.source}${entry.seq === state.pinnedSeq ? ' selected' : ''}`,
        dataset: { seq: entry.seq, type: entry.type },
        tabindex: 0,
        role: 'button',
        title: asPaths(entry.state).join('\n'),
        onclick: () => pinEntry(entry.seq, interactive),
        onkeydown: (e) => {
          if (e.key === 'Enter' || e.key === ' ') {
            e.preventDefault();
            pinEntry(entry.seq, interactive);
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
      entry.prompts?.[0] ? h('span', { class: 'entry-prompt' }, entry.prompts[0].text) : null,
    ),
  );
}

function renderHistory() {
  for (const [selector, switchTab] of [
    ['#timeline', true],
    ['#inspector-timeline', false],
  ]) {
    const list = $(selector);
    const items = timelineItems(switchTab);
    list.replaceChildren(...(items.length ? items : [h('li', { class: 'muted empty' }, t('call.historyEmpty'))]));
    list.scrollTop = list.scrollHeight;
  }
}

function pinEntry(seq, switchTab) {
  state.pinnedSeq = state.pinnedSeq === seq && !switchTab ? null : seq;
  renderHistory();
  if (switchTab) setTab('inspector');
  updateDiagram();
}

// ---------------------------------------------------------------- the inspector

function ensureDiagram() {
  if (!state.machine) return null;
  if (!diagramReady) {
    diagram = new FlowDiagram($('#diagram'));
    $('#diagram').replaceChildren(h('p', { class: 'muted' }, t('inspector.loading')));
    diagramReady = diagram.render(state.machine).then(
      () => {
        updateDiagram();
        return diagram;
      },
      (error) => {
        diagramReady = null;
        showError(error);
      },
    );
  }
  return diagramReady;
}

function updateDiagram() {
  const banner = $('#inspector-mode');
  const pinned = state.pinnedSeq === null ? null : state.history.find((e) => e.seq === state.pinnedSeq);
  const view = state.view;
  if (!state.callId || !view) banner.replaceChildren(h('span', { class: 'muted' }, t('inspector.noCall')));
  else if (pinned) {
    banner.replaceChildren(
      h('span', { class: 'mode-pinned' }, `${t('inspector.pinned')} #${pinned.seq}: ${historyLabel(pinned)}`),
      h(
        'button',
        { type: 'button', class: 'ghost small', id: 'back-to-live', onclick: () => pinEntry(null, false) },
        t('inspector.backToLive'),
      ),
    );
  } else {
    banner.replaceChildren(
      h('span', { class: 'mode-live' }, `${t('inspector.live')} ${state.callId} (v${view.version})`),
    );
  }
  if (!diagram?.svg) return;
  if (!state.callId || !view) {
    diagram.highlight([]);
    return;
  }
  const index = pinned ? state.history.indexOf(pinned) : state.history.length - 1;
  const entry = state.history[index] ?? null;
  const shown = pinned ? pinned.state : view.state;
  // The live state's "last transition" only once the history has caught up with the view.
  const lastMatches = entry !== null && (pinned || entry.seq === view.version);
  const before = index > 0 ? asPaths(state.history[index - 1].state) : initialPaths(state.machine);
  diagram.highlight(shown, lastMatches ? { entry, before } : {});
  const key = `${pinned ? pinned.seq : 'live'}:${JSON.stringify(shown)}`;
  diagram.svg.dataset.shown = pinned ? `seq-${pinned.seq}` : 'live';
  // At 100 % the chart is larger than its frame: bring what changed into view.
  if (key !== lastShown && state.tab === 'inspector' && !$('#diagram').classList.contains('fit')) {
    diagram.svg.querySelector('g.state.active')?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }
  lastShown = key;
}

function setTab(tab) {
  state.tab = tab;
  for (const button of document.querySelectorAll('[role="tab"]')) {
    button.setAttribute('aria-selected', String(button.dataset.tab === tab));
  }
  document.body.dataset.tab = tab;
  $('#console-view').hidden = tab !== 'console';
  $('#inspector-view').hidden = tab !== 'inspector';
  writeHash();
  if (tab === 'inspector') ensureDiagram();
}

// ---------------------------------------------------------------- new call

function suggestCallId() {
  const now = new Date();
  const pad = (n) => String(n).padStart(2, '0');
  return `op-${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}-${Math.floor(Math.random() * 1000)}`;
}

async function submitNewCall(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const data = new FormData(form);
  const value = (name) => String(data.get(name) ?? '').trim();
  const body = { callId: value('callId'), locale: value('locale') || 'ru' };
  if (value('firstName')) {
    body.customer = { firstName: value('firstName') };
    if (value('patronymic')) body.customer.patronymic = value('patronymic');
  }
  const submit = form.querySelector('button[type="submit"]');
  submit.disabled = true;
  try {
    const view = await api.createCall(body);
    clearErrors();
    form.reset();
    form.elements.callId.value = suggestCallId();
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

// ---------------------------------------------------------------- wiring

function onKeydown(event) {
  if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.key === 'Escape') {
    closeForm();
    return;
  }
  if (event.target instanceof Element && event.target.closest('input, textarea, select, [contenteditable="true"]'))
    return;
  const type = KEY_TO_EVENT[event.key.toLowerCase()];
  if (!type || event.repeat || !state.view) return;
  event.preventDefault();
  trigger(type, { queue: true });
}

function setLocale(locale) {
  setUiLocale(locale);
  try {
    localStorage.setItem('callflow.locale', locale);
  } catch {
    // private mode: the choice lasts for this page
  }
  for (const button of document.querySelectorAll('[data-locale]')) {
    button.setAttribute('aria-pressed', String(button.dataset.locale === locale));
  }
  translatePage();
  setStreamStatus(state.streamStatus);
  if (state.openForm) $('#event-form').dataset.event = '';
  renderCalls();
  renderCall(false);
  renderHistory();
}

function bindStatic() {
  for (const button of document.querySelectorAll('[role="tab"]')) {
    button.addEventListener('click', () => setTab(button.dataset.tab));
  }
  for (const button of document.querySelectorAll('[data-locale]')) {
    button.addEventListener('click', () => setLocale(button.dataset.locale));
  }
  $('#new-call').addEventListener('submit', submitNewCall);
  $('#new-call').elements.callId.value = suggestCallId();
  $('#refresh-calls').addEventListener('click', () => void refreshCalls());
  $('#inspector-call').addEventListener('change', (event) => {
    const callId = event.currentTarget.value;
    if (callId) void selectCall(callId);
  });
  $('#token-button').addEventListener('click', () => {
    const form = $('#token-form');
    if (form.hidden) showTokenForm(t('token.hint'));
    else form.hidden = true;
  });
  $('#token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    api.setToken($('#token-input').value.trim());
    $('#token-input').value = '';
    $('#token-form').hidden = true;
    clearErrors();
    void start();
  });
  $('#token-clear').addEventListener('click', () => {
    api.setToken('');
    $('#token-form').hidden = true;
  });
  $('#fit-toggle').addEventListener('click', () => {
    const fit = $('#diagram').classList.toggle('fit');
    $('#fit-toggle').textContent = fit ? t('inspector.actual') : t('inspector.fit');
    $('#fit-toggle').dataset.i18n = fit ? 'inspector.actual' : 'inspector.fit';
  });
  document.addEventListener('keydown', onKeydown);
  api.onUnauthorized(() => showTokenForm(t('token.hint')));
  // The countdown ticks locally between stream messages.
  setInterval(renderTimer, 250);
}

/** Loads the catalogue and the machine, then the calls; again after a token is entered. */
async function start() {
  try {
    const [script, machine] = await Promise.all([api.getScript(), api.getMachine()]);
    state.script = script;
    state.machine = machine;
  } catch (error) {
    showError(error);
    return;
  }
  $('#new-call-locale').replaceChildren(
    ...state.script.locales.map((locale) => h('option', { value: locale }, locale.toUpperCase())),
  );
  document.body.dataset.ready = 'true';
  await refreshCalls();
  clearInterval(callsTimer);
  callsTimer = setInterval(() => {
    if (document.visibilityState === 'visible') void refreshCalls();
  }, CALLS_REFRESH_MS);
  const wanted = state.callId ?? readHash().callId;
  if (wanted) {
    state.callId = null;
    await selectCall(wanted);
  } else renderCall(false);
  if (state.tab === 'inspector') ensureDiagram();
  // Lay the flow out while the operator works, so the inspector tab opens at once.
  else setTimeout(() => ensureDiagram(), 1500);
}

function boot() {
  let locale = 'ru';
  try {
    locale = localStorage.getItem('callflow.locale') || 'ru';
  } catch {
    // no storage: Russian
  }
  const { tab, callId } = readHash();
  state.callId = callId;
  bindStatic();
  setLocale(locale);
  setTab(tab);
  void start();
}

boot();
