// @ts-check
/**
 * The script page (SPEC §11): every published version with its date, who published it and what
 * changed; two versions' phrases side by side with the differences marked; and the current
 * version's phrases per situation (from the machine: which event says what).
 */
import * as api from '../api.js';
import { state } from '../call/state.js';
import { $, h } from '../dom.js';
import { t, uiLocale } from '../i18n.js';
import { showError } from '../shell/alerts.js';
import { on } from '../shell/events.js';

/** @import { Script, ScriptVersionList } from '../types.js' */

/** @type {ScriptVersionList | null} */
let list = null;
/** @type {Map<number, Promise<Script>>} */
const loaded = new Map();

/** @param {number} version */
function versionOf(version) {
  let script = loaded.get(version);
  if (!script) {
    script = api.getScriptVersion(version);
    // A failed read is tried again next time.
    script.catch(() => loaded.delete(version));
    loaded.set(version, script);
  }
  return script;
}

/** @param {string} iso */
const when = (iso) => new Date(iso).toLocaleString(uiLocale() === 'en' ? 'en-GB' : 'ru-RU');

function renderVersions() {
  const body = $('#script-versions tbody');
  if (!list) return;
  const current = list.current;
  body.replaceChildren(
    ...list.versions.map((v) =>
      h(
        'tr',
        { dataset: { version: String(v.version) }, class: v.version === current ? 'current' : null },
        h(
          'td',
          null,
          `v${v.version}`,
          v.version === current ? h('span', { class: 'badge' }, t('script.current')) : null,
        ),
        h('td', null, when(v.publishedAt)),
        h('td', null, v.publishedBy),
        h('td', { class: 'summary' }, v.summary),
      ),
    ),
  );
  $('#script-current').textContent = `${t('script.version')} ${current}`;
  const [from, to] = [$('#diff-from', HTMLSelectElement), $('#diff-to', HTMLSelectElement)];
  const options = () => list?.versions.map((v) => h('option', { value: String(v.version) }, `v${v.version}`)) ?? [];
  const keep = [from.value, to.value];
  from.replaceChildren(...options());
  to.replaceChildren(...options());
  // By default: the version before the current one against the current one.
  to.value = keep[1] || String(current);
  from.value = keep[0] || String(list.versions[1]?.version ?? current);
}

/**
 * @param {string | null | undefined} a
 * @param {string | null | undefined} b
 */
function cell(a, b) {
  return h('td', { class: a === b ? null : 'changed' }, a ?? h('span', { class: 'muted' }, t('script.absent')));
}

async function renderDiff() {
  const from = Number($('#diff-from', HTMLSelectElement).value);
  const to = Number($('#diff-to', HTMLSelectElement).value);
  const locale = $('#diff-locale', HTMLSelectElement).value;
  const onlyChanges = $('#diff-only-changes', HTMLInputElement).checked;
  if (!from || !to) return;
  const [a, b] = await Promise.all([versionOf(from), versionOf(to)]);
  const ca = a.catalogues[locale];
  const cb = b.catalogues[locale];
  if (!ca || !cb) return;
  $('#diff-head-from').textContent = `v${from}`;
  $('#diff-head-to').textContent = `v${to}`;
  /** @type {HTMLTableRowElement[]} */
  const rows = [];
  const keys = [...new Set([...Object.keys(ca.prompts), ...Object.keys(cb.prompts)])].sort();
  let changed = 0;
  for (const key of keys) {
    const pa = ca.prompts[key];
    const pb = cb.prompts[key];
    const same = pa?.text === pb?.text && pa?.instruction === pb?.instruction;
    if (!same) changed++;
    if (same && onlyChanges) continue;
    rows.push(
      h(
        'tr',
        { dataset: { key }, class: same ? null : 'changed-row' },
        h('th', { scope: 'row' }, key),
        cell(pa?.text, pb?.text),
        cell(pb?.text, pa?.text),
      ),
    );
    if (pa?.instruction !== pb?.instruction)
      rows.push(
        h(
          'tr',
          { dataset: { key: `${key} instruction` }, class: 'changed-row instruction' },
          h('th', { scope: 'row' }, `${key} · ${t('script.instruction')}`),
          cell(pa?.instruction, pb?.instruction),
          cell(pb?.instruction, pa?.instruction),
        ),
      );
  }
  for (const type of [...new Set([...Object.keys(ca.events), ...Object.keys(cb.events)])].sort()) {
    if (ca.events[type] === cb.events[type]) continue;
    changed++;
    rows.push(
      h(
        'tr',
        { dataset: { key: `event ${type}` }, class: 'changed-row' },
        h('th', { scope: 'row' }, `${t('script.label')}: ${type}`),
        cell(ca.events[type], cb.events[type]),
        cell(cb.events[type], ca.events[type]),
      ),
    );
  }
  for (const name of /** @type {(keyof typeof a.limits)[]} */ (Object.keys(b.limits))) {
    const [x, y] = [String(a.limits[name]), String(b.limits[name])];
    if (x === y && onlyChanges) continue;
    if (x !== y) changed++;
    rows.push(
      h(
        'tr',
        { dataset: { key: `limit ${name}` }, class: x === y ? null : 'changed-row' },
        h('th', { scope: 'row' }, name),
        cell(x, y),
        cell(y, x),
      ),
    );
  }
  $('#script-diff tbody').replaceChildren(...rows);
  $('#diff-count').textContent = changed === 0 ? t('script.noDifference') : `${t('script.differences')}: ${changed}`;
}

/** The current version's phrases grouped by the situation (event) that makes the operator say them. */
async function renderPhrases() {
  if (!state.machine || !list) return;
  const locale = $('#phrases-locale', HTMLSelectElement).value;
  const script = await versionOf(list.current);
  const catalogue = script.catalogues[locale];
  if (!catalogue) return;
  /** @type {Map<string, Set<string>>} */
  const bySituation = new Map();
  const add = (/** @type {string} */ situation, /** @type {string[]} */ keys) => {
    if (keys.length === 0) return;
    const set = bySituation.get(situation) ?? new Set();
    for (const key of keys) set.add(key);
    bySituation.set(situation, set);
  };
  for (const node of state.machine.nodes) add('start', node.prompts);
  for (const type of state.machine.events.map((e) => e.type))
    add(
      type,
      state.machine.transitions.filter((tr) => tr.event === type).flatMap((tr) => tr.prompts),
    );
  for (const tr of state.machine.transitions) if (tr.delay) add('timer', tr.prompts);
  const title = (/** @type {string} */ situation) =>
    situation === 'start'
      ? t('script.onStart')
      : situation === 'timer'
        ? t('history.timer')
        : (catalogue.events[situation] ?? situation);
  $('#script-phrases').replaceChildren(
    ...[...bySituation].map(([situation, keys]) =>
      h(
        'section',
        { class: 'situation-phrases', dataset: { situation } },
        h('h3', null, title(situation)),
        ...[...keys].map((key) => {
          const entry = catalogue.prompts[key];
          return h(
            'div',
            { class: 'script-phrase', dataset: { key } },
            h('div', { class: 'script-phrase-key muted small' }, key),
            h('p', { class: 'script-phrase-text' }, entry?.text ?? '—'),
            entry?.instruction ? h('p', { class: 'script-phrase-instruction muted small' }, entry.instruction) : null,
          );
        }),
      ),
    ),
  );
}

async function refresh() {
  try {
    list = await api.listScriptVersions();
    renderVersions();
    await Promise.all([renderDiff(), renderPhrases()]);
  } catch (error) {
    showError(error);
  }
}

/** @param {string} id */
const localeSelect = (id) =>
  h(
    'select',
    { id },
    ...(state.script?.locales ?? ['ru', 'en']).map((l) => h('option', { value: l }, l.toUpperCase())),
  );

/** @param {HTMLElement} panel */
function mount(panel) {
  panel.classList.add('script-page');
  panel.replaceChildren(
    h(
      'section',
      { class: 'card' },
      h(
        'div',
        { class: 'card-head' },
        h('h2', { 'data-i18n': 'script.versions' }, t('script.versions')),
        h('span', { id: 'script-current', class: 'badge' }),
      ),
      h(
        'table',
        { id: 'script-versions', class: 'data-table' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            ...['script.version', 'script.publishedAt', 'script.publishedBy', 'script.summary'].map((key) =>
              h('th', { 'data-i18n': key }, t(key)),
            ),
          ),
        ),
        h('tbody'),
      ),
    ),
    h(
      'section',
      { class: 'card' },
      h(
        'div',
        { class: 'card-head' },
        h('h2', { 'data-i18n': 'script.compare' }, t('script.compare')),
        h(
          'div',
          { class: 'diff-controls' },
          h('select', { id: 'diff-from', 'aria-label': 'from' }),
          '→',
          h('select', { id: 'diff-to', 'aria-label': 'to' }),
          localeSelect('diff-locale'),
          h(
            'label',
            null,
            h('input', { type: 'checkbox', id: 'diff-only-changes', checked: true }),
            ' ',
            h('span', { 'data-i18n': 'script.onlyChanges' }, t('script.onlyChanges')),
          ),
          h('span', { id: 'diff-count', class: 'muted small' }),
        ),
      ),
      h(
        'table',
        { id: 'script-diff', class: 'data-table diff' },
        h(
          'thead',
          null,
          h('tr', null, h('th', null, ''), h('th', { id: 'diff-head-from' }), h('th', { id: 'diff-head-to' })),
        ),
        h('tbody'),
      ),
    ),
    h(
      'section',
      { class: 'card' },
      h(
        'div',
        { class: 'card-head' },
        h('h2', { 'data-i18n': 'script.phrases' }, t('script.phrases')),
        localeSelect('phrases-locale'),
      ),
      h('div', { id: 'script-phrases', class: 'script-phrases' }),
    ),
  );
  for (const id of ['#diff-from', '#diff-to', '#diff-locale', '#diff-only-changes'])
    $(id).addEventListener('change', () => renderDiff().catch(showError));
  $('#phrases-locale').addEventListener('change', () => renderPhrases().catch(showError));
  on('ready', () => void refresh());
  on('locale', () => void refresh());
  return refresh();
}

export default {
  mount,
  // Another admin may have published meanwhile.
  show: () => void refresh(),
};
