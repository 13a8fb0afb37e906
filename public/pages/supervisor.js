// @ts-check
/**
 * The supervisor's desk (SPEC §8): the open queue of escalations, live from
 * GET /v1/escalations/stream, longest waiting first. Each row: the customer's question, a link
 * to the call on the operator console, the operator, how long it has waited. Acknowledge, or
 * resolve with a note. A new one chimes, flashes and counts on the tab. Keys: ↑/↓ or K/J choose,
 * A acknowledges, R opens the note (Enter resolves, Esc closes), O opens the call.
 */
import * as api from '../api.js';
import { selectCall } from '../call/chosen.js';
import { $, h } from '../dom.js';
import { t } from '../i18n.js';
import { showError } from '../shell/alerts.js';
import { on } from '../shell/events.js';
import { currentPage, navigate } from '../shell/router.js';
import { chime, showOpenCount } from '../supervisor/alert.js';
import { Queue } from '../supervisor/queue.js';

/** @import { Escalation } from '../types.js' */

const BY_KEY = 'callflow.supervisor';
const PERSON = /^[A-Za-z0-9._:-]{1,128}$/;
/** How long a new row keeps flashing (app.css .arrived). */
const ARRIVED_MS = 10_000;

let queue = new Queue();
/** Rows by escalation id, kept between renders so a note being typed survives a change. */
const rows = new Map();
/** @type {string | null} */
let selected = null;
/** @type {string | null} the row whose note is open */
let noting = null;
/** @type {Map<string, number>} arrival time of rows still flashing */
const arrived = new Map();
/** Stream changes that came while the lists were loading, applied after them. @type {Escalation[] | null} */
let buffered = null;
let loaded = false;

/** @type {{ list: HTMLUListElement, empty: HTMLElement, by: HTMLInputElement, status: HTMLElement, announce: HTMLElement }} */
let ui;

/** @param {number} ms */
function waited(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return hh > 0 ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

/** @param {Escalation} e */
const waitText = (e) => waited(api.serverNow() - Date.parse(e.createdAt));

/** @param {string} callId */
async function openCall(callId) {
  await navigate('console');
  await selectCall(callId);
}

/** @param {Escalation} e */
function buildRow(e) {
  const note = h('textarea', {
    class: 'escalation-note',
    rows: 2,
    maxlength: 2000,
    'aria-label': t('supervisor.note'),
    placeholder: t('supervisor.notePlaceholder'),
  });
  const row = h(
    'li',
    { class: 'escalation', dataset: { id: e.id }, onclick: () => select(e.id) },
    h('div', { class: 'escalation-topic' }),
    h(
      'div',
      { class: 'escalation-meta' },
      h('a', {
        class: 'escalation-call',
        href: `#call=${encodeURIComponent(e.callId)}`,
        onclick: (/** @type {MouseEvent} */ event) => {
          event.preventDefault();
          void openCall(e.callId);
        },
      }),
      h('span', { class: 'escalation-operator' }),
      h('span', { class: 'escalation-wait', title: t('supervisor.waiting') }),
      h('span', { class: 'badge escalation-status' }),
      h('span', { class: 'escalation-by muted small' }),
    ),
    h(
      'div',
      { class: 'escalation-actions' },
      h('button', { type: 'button', class: 'acknowledge', onclick: () => void acknowledge(e.id) }),
      h('button', { type: 'button', class: 'resolve', onclick: () => openNote(e.id) }),
    ),
    h(
      'form',
      {
        class: 'escalation-resolve',
        hidden: true,
        onsubmit: (/** @type {SubmitEvent} */ event) => {
          event.preventDefault();
          void resolve(e.id);
        },
      },
      note,
      h(
        'div',
        { class: 'escalation-resolve-actions' },
        h(
          'button',
          { type: 'submit', class: 'primary', dataset: { i18n: 'supervisor.resolveSubmit' } },
          t('supervisor.resolveSubmit'),
        ),
        h(
          'button',
          { type: 'button', class: 'ghost', dataset: { i18n: 'supervisor.cancel' }, onclick: () => closeNote() },
          t('supervisor.cancel'),
        ),
      ),
    ),
  );
  return row;
}

/**
 * @param {HTMLElement} row
 * @param {Escalation} e
 */
function fillRow(row, e) {
  $('.escalation-topic', HTMLElement, row).textContent = e.topic;
  const link = $('.escalation-call', HTMLAnchorElement, row);
  link.textContent = `${t('supervisor.call')} ${e.callId}`;
  $('.escalation-operator', HTMLElement, row).textContent = e.operatorId
    ? `${t('supervisor.operator')} ${e.operatorId}`
    : t('supervisor.noOperator');
  $('.escalation-wait', HTMLElement, row).textContent = waitText(e);
  const status = $('.escalation-status', HTMLElement, row);
  status.dataset.status = e.status;
  status.textContent = t(`escalation.status.${e.status}`);
  $('.escalation-by', HTMLElement, row).textContent =
    e.status === 'acknowledged' && e.acknowledgedBy ? `${t('supervisor.acknowledgedBy')} ${e.acknowledgedBy}` : '';
  const ack = $('.acknowledge', HTMLButtonElement, row);
  ack.textContent = t('supervisor.acknowledge');
  ack.disabled = e.status !== 'open';
  $('.resolve', HTMLButtonElement, row).textContent = t('supervisor.resolve');
  row.dataset.status = e.status;
  row.classList.toggle('selected', e.id === selected);
  row.classList.toggle('arrived', arrived.has(e.id));
  $('.escalation-resolve', HTMLFormElement, row).hidden = noting !== e.id;
}

function render() {
  const items = queue.list();
  const ids = new Set(items.map((e) => e.id));
  for (const [id, row] of rows) {
    if (!ids.has(id)) {
      row.remove();
      rows.delete(id);
    }
  }
  if (selected && !ids.has(selected)) selected = items[0]?.id ?? null;
  if (noting && !ids.has(noting)) noting = null;
  if (!selected && items[0]) selected = items[0].id;
  items.forEach((e, i) => {
    let row = rows.get(e.id);
    if (!row) {
      row = buildRow(e);
      rows.set(e.id, row);
    }
    fillRow(row, e);
    // Moved only when out of place: moving a row would take the focus out of its note.
    if (ui.list.children[i] !== row) ui.list.insertBefore(row, ui.list.children[i] ?? null);
  });
  ui.empty.hidden = items.length > 0;
  showOpenCount(queue.openCount);
}

/** @param {string} id */
function select(id) {
  if (selected === id) return;
  selected = id;
  render();
}

/** @param {number} step */
function move(step) {
  const items = queue.list();
  if (items.length === 0) return;
  const at = items.findIndex((e) => e.id === selected);
  const next = items[Math.min(items.length - 1, Math.max(0, at + step))];
  if (next) select(next.id);
  rows.get(selected)?.scrollIntoView({ block: 'nearest' });
}

/** @param {string} id */
function openNote(id) {
  selected = id;
  noting = id;
  render();
  rows.get(id)?.querySelector('textarea')?.focus();
}

function closeNote() {
  noting = null;
  render();
}

/** Who acts: the name field, checked before anything is sent. */
function who() {
  const by = ui.by.value.trim();
  if (PERSON.test(by)) {
    ui.by.classList.remove('invalid');
    return by;
  }
  ui.by.classList.add('invalid');
  ui.by.focus();
  showError(new Error(t('supervisor.byMissing')));
  return null;
}

/**
 * A refused transition (409: someone else got there first) shows the problem and takes the
 * escalation as it is now.
 * @param {string} id
 * @param {unknown} error
 */
async function refused(id, error) {
  showError(error);
  if (/** @type {api.ApiError} */ (error).status === 409) {
    try {
      take(await api.getEscalation(id), false);
    } catch (again) {
      showError(again);
    }
  }
}

/** @param {string} id */
async function acknowledge(id) {
  const by = who();
  if (!by || queue.get(id)?.status !== 'open') return;
  try {
    take(await api.acknowledgeEscalation(id, by), false);
  } catch (error) {
    await refused(id, error);
  }
}

/** @param {string} id */
async function resolve(id) {
  const row = rows.get(id);
  const note = row?.querySelector('textarea');
  const resolution = note?.value.trim() ?? '';
  if (!resolution) {
    note?.classList.add('invalid');
    note?.focus();
    return;
  }
  const by = who();
  if (!by) return;
  try {
    take(await api.resolveEscalation(id, by, resolution), false);
  } catch (error) {
    await refused(id, error);
  }
}

/**
 * One copy of an escalation, from the stream (live) or an answer.
 * @param {Escalation} e
 * @param {boolean} live
 */
function take(e, live) {
  const outcome = queue.apply(e);
  if (outcome === 'stale') return;
  if (outcome === 'new' && live && loaded) {
    arrived.set(e.id, Date.now());
    ui.announce.textContent = `${t('supervisor.arrived')}: ${e.topic}`;
    chime();
  }
  render();
}

/** The open and acknowledged lists, in full (pages of 200), once the stream is there. */
async function loadQueue() {
  buffered = [];
  try {
    const fresh = new Queue();
    for (const status of /** @type {const} */ (['open', 'acknowledged'])) {
      let cursor = null;
      do {
        const page = await api.listEscalations({ status, cursor });
        for (const e of page.escalations) fresh.apply(e);
        cursor = page.nextCursor;
      } while (cursor);
    }
    queue = fresh;
    for (const e of buffered) queue.apply(e);
    loaded = true;
    render();
  } catch (error) {
    showError(error);
  } finally {
    buffered = null;
  }
}

/** @type {EventSource | null} */
let stream = null;

/** @param {string} status live, connecting, offline */
function setStatus(status) {
  ui.status.dataset.status = status;
  ui.status.textContent = t(`stream.${status}`);
}

function openStream() {
  stream?.close();
  const source = new EventSource(api.escalationStreamUrl());
  stream = source;
  setStatus('connecting');
  // Without Last-Event-ID (a new connection) the stream says `ready`: read the lists then. The
  // browser's own reconnections send Last-Event-ID and get the changes missed instead.
  source.addEventListener('ready', () => {
    setStatus('live');
    void loadQueue();
  });
  source.addEventListener('open', () => setStatus('live'));
  source.addEventListener('escalation', (message) => {
    const e = /** @type {Escalation} */ (JSON.parse(message.data));
    if (buffered) buffered.push(e);
    else take(e, true);
  });
  source.addEventListener('error', () => {
    if (stream !== source) return;
    if (source.readyState !== EventSource.CLOSED) {
      setStatus('connecting');
      return;
    }
    // Refused (a token without the supervisor role, …): say why, and try again later.
    setStatus('offline');
    api.listEscalations({ status: 'open', limit: 1 }).then(
      () => setTimeout(() => stream === source && openStream(), 3000),
      (error) => showError(error),
    );
  });
}

/** @param {Element | null} target */
const inField = (target) => target instanceof Element && !!target.closest('input, textarea, select');

/**
 * The page's keys, before the operator console's (capture phase): a letter on this page never
 * reaches the console's situations.
 * @param {KeyboardEvent} event
 */
function onKeydown(event) {
  if (currentPage() !== 'supervisor' || event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target instanceof Element ? event.target : null;
  if (target?.matches('textarea.escalation-note')) {
    if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault();
      if (noting) void resolve(noting);
    } else if (event.key === 'Escape') {
      event.preventDefault();
      closeNote();
    }
    return;
  }
  if (inField(target)) return;
  const id = selected;
  const key = event.code;
  const act = () => {
    if (key === 'ArrowDown' || key === 'KeyJ') move(1);
    else if (key === 'ArrowUp' || key === 'KeyK') move(-1);
    else if (key === 'KeyA' && id) void acknowledge(id);
    else if (key === 'KeyR' && id) openNote(id);
    else if (key === 'KeyO' && id) {
      const e = queue.get(id);
      if (e) void openCall(e.callId);
    } else if (key === 'Escape') closeNote();
    else return false;
    return true;
  };
  if (act() || /^Key[A-Z]$/.test(key)) event.preventDefault();
}

/** @type {import('../shell/router.js').Page} */
export default {
  mount(panel) {
    const by = h('input', {
      id: 'supervisor-by',
      name: 'by',
      autocomplete: 'off',
      maxlength: 128,
      pattern: '[A-Za-z0-9._:\\-]{1,128}',
      placeholder: 'supervisor.anna',
    });
    by.value = localStorage.getItem(BY_KEY) ?? '';
    by.addEventListener('change', () => {
      by.classList.remove('invalid');
      localStorage.setItem(BY_KEY, by.value.trim());
    });
    ui = {
      list: h('ul', { id: 'escalation-queue', class: 'escalation-queue' }),
      empty: h('p', { id: 'escalations-empty', class: 'empty-state', dataset: { i18n: 'supervisor.empty' } }),
      by,
      status: h('span', { id: 'escalations-stream', class: 'badge stream', dataset: { status: 'offline' } }),
      announce: h('div', { id: 'escalation-announce', class: 'visually-hidden', 'aria-live': 'assertive' }),
    };
    ui.empty.textContent = t('supervisor.empty');
    panel.append(
      h(
        'section',
        { class: 'card supervisor' },
        h(
          'div',
          { class: 'card-head' },
          h('h2', { dataset: { i18n: 'supervisor.title' } }, t('supervisor.title')),
          ui.status,
        ),
        h(
          'div',
          { class: 'supervisor-bar' },
          h('label', { class: 'field' }, h('span', { dataset: { i18n: 'supervisor.by' } }, t('supervisor.by')), by),
          h('p', { class: 'muted small', dataset: { i18n: 'supervisor.keys' } }, t('supervisor.keys')),
        ),
        ui.announce,
        ui.list,
        ui.empty,
      ),
    );
    document.addEventListener('keydown', onKeydown, true);
    // How long each has waited, and the end of a row's flash, between changes.
    setInterval(() => {
      for (const [id, at] of arrived) if (Date.now() - at > ARRIVED_MS) arrived.delete(id);
      render();
    }, 1000);
    on('locale', () => {
      setStatus(ui.status.dataset.status ?? 'offline');
      render();
    });
    on('token', openStream);
    openStream();
    render();
  },
  show() {
    // Seen: the flash may stop at the next change; the count stays until they are handled.
    render();
  },
};
