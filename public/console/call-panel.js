// @ts-check
/**
 * The chosen call on the console: who and where (header), what to say (phrase), what may happen
 * now (situations and their data forms) and the hold timer.
 * What to say comes from the view (prompts[].text, rendered by the service), what may happen
 * from view.allowedEvents, the limits and data fields from GET /v1/machine.
 */
import * as api from '../api.js';
import { closeForm, send, trigger } from '../call/chosen.js';
import { customerName, dataFields, eventLabel, needsForm, shortState, valueLabel } from '../call/labels.js';
import { HANGUP, orderedEvents, shortcutOf } from '../call/shortcuts.js';
import { state } from '../call/state.js';
import { $, h } from '../dom.js';
import { t } from '../i18n.js';
import { asPaths } from '../inspector.js';

/** @import { DataField } from '../types.js' */

/**
 * Everything about the chosen call; fresh: a new version, so a new phrase is flashed.
 * @param {boolean} fresh
 */
export function renderCall(fresh) {
  const view = state.view;
  $('#call-empty').hidden = Boolean(state.callId);
  $('#call-panel').hidden = !state.callId;
  if (!state.callId) return;
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
  renderActions();
  renderTimer();
}

/** @param {boolean} fresh */
function renderPhrase(fresh) {
  const view = state.view;
  const card = $('#phrase');
  const prompts = view?.prompts ?? [];
  const notes = [];
  for (const action of view?.actions ?? []) {
    const topic = 'topic' in action ? action.topic : null;
    notes.push(h('p', { class: 'action-note' }, t(`action.${action.type}`), topic ? `: «${topic}»` : ''));
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
    !view || prompts.length === 0
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

/** @param {string} type */
function situationButton(type) {
  const key = shortcutOf(type);
  const form = needsForm(type);
  return h(
    'button',
    {
      type: 'button',
      class: `situation${type === HANGUP ? ' danger' : ''}${state.openForm === type ? ' open' : ''}`,
      disabled: state.busy,
      dataset: { event: type },
      'aria-keyshortcuts': key,
      'aria-expanded': form ? String(state.openForm === type) : null,
      title: type,
      onclick: () => trigger(type),
    },
    h('span', { class: 'situation-label' }, eventLabel(type), form ? '…' : ''),
    key ? h('kbd', {}, key.toUpperCase()) : null,
  );
}

/** The situation buttons and the open form: after a view, and while an event is in flight. */
export function renderActions() {
  renderSituations();
  renderForm();
}

function renderSituations() {
  const box = $('#situations');
  const allowed = state.view?.allowedEvents ?? [];
  if (state.view?.status === 'ended') {
    box.replaceChildren(h('p', { class: 'muted' }, t('call.noSituations')));
    $('#hangup').replaceChildren();
    return;
  }
  box.replaceChildren(...orderedEvents(allowed).map(situationButton));
  $('#hangup').replaceChildren(...(allowed.includes(HANGUP) ? [situationButton(HANGUP)] : []));
}

/**
 * @param {string} type
 * @param {string} name
 * @param {DataField} field
 */
function fieldControl(type, name, field) {
  const id = `field-${type}-${name}`.replace(/[^\w-]/g, '-');
  const label = t(`field.${name}`);
  let control;
  if (field.kind === 'enum') {
    const options = field.values.map((value) => h('option', { value }, valueLabel(value)));
    if (!field.required) options.unshift(h('option', { value: '' }, t('form.none')));
    control = h('select', { id, name, required: field.required }, options);
  } else {
    const customer = state.view?.customer;
    const current =
      type === 'customer.identified' && customer ? customer[/** @type {keyof typeof customer} */ (name)] : undefined;
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
      /** @param {SubmitEvent} e */
      onsubmit: (e) => {
        e.preventDefault();
        /** @type {Record<string, string>} */
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
  /** @type {HTMLElement | null} */ (form.querySelector('input, select'))?.focus();
}

/** After a language switch the open form is built again, in the new words. */
export function relabelForm() {
  if (state.openForm) $('#event-form').dataset.event = '';
}

/** The hold check's countdown; it ticks locally between stream messages. */
export function renderTimer() {
  const box = $('#hold-timer');
  const view = state.view;
  const timer = view?.timers.find((x) => x.name === 'hold.check');
  if (!view || !timer || view.status !== 'active') {
    box.hidden = true;
    return;
  }
  box.hidden = false;
  const total = (state.machine?.limits.holdCheckSeconds ?? 30) * 1000;
  const left = Math.max(0, Date.parse(timer.dueAt) - api.serverNow());
  const seconds = Math.ceil(left / 1000);
  $('#hold-timer-label').textContent = left > 0 ? t('call.holdCheck') : t('call.holdCheckDue');
  $('#hold-timer-value').textContent =
    left > 0 ? `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}` : '0:00';
  $('#hold-timer-fill').style.width = `${Math.round((left / total) * 100)}%`;
  box.classList.toggle('due', left <= 0);
}
