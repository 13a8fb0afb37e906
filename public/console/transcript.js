// @ts-check
/**
 * The customer's words (SPEC §12): a box to type or paste a customer line (for demos and for
 * centres without speech recognition yet), and the suggestions for the chosen call as they
 * arrive, from this box or from the recogniser through the call's stream, each with the words
 * that showed it highlighted. Enter in the empty box, or anywhere outside a field, accepts the
 * top suggestion: it is posted as the event, as its button would.
 */
import * as api from '../api.js';
import { applyView, send } from '../call/chosen.js';
import { eventLabel, valueLabel } from '../call/labels.js';
import { state } from '../call/state.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { showError } from '../shell/alerts.js';
import { on } from '../shell/events.js';

/** @import { Suggestion } from '../types.js' */

/** Below this a suggestion is shown as a hint only, never the one Enter accepts. */
const COUNTED = 0.5;
/** Lines kept on screen, newest first. */
const KEPT = 5;

/**
 * @typedef {object} Line
 * @property {string} key the line's id, or the stream version of suggestions with none
 * @property {string | null} text the line itself when it was typed here (the stream never carries it)
 * @property {Suggestion[]} suggestions best first
 */

/** @type {Line[]} */
let lines = [];
/** Ids of lines sent from this box: their suggestions come with the answer, the stream's copy is skipped. */
const sentHere = new Set();

/** Words as the service splits them (letters, digits, inner apostrophes, masked "п***ц"). */
const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}]+)*(?:\*+[\p{L}\p{N}]*)*|\*{2,}/gu;

/**
 * The line with the evidence words marked.
 * @param {string} text
 * @param {string[]} evidence
 */
function highlighted(text, evidence) {
  const wanted = new Set(evidence.map((w) => w.toLowerCase()));
  /** @type {(Node | string)[]} */
  const parts = [];
  let at = 0;
  for (const match of text.matchAll(WORD)) {
    if (!wanted.has(match[0].toLowerCase())) continue;
    parts.push(text.slice(at, match.index), h('mark', {}, match[0]));
    at = match.index + match[0].length;
  }
  parts.push(text.slice(at));
  return parts;
}

/** The suggestion Enter accepts: the best counted one, still allowed, not applied already. */
function top() {
  const allowed = /** @type {string[]} */ (state.view?.allowedEvents ?? []);
  for (const line of lines) {
    const found = line.suggestions.find((s) => !s.applied && s.confidence >= COUNTED && allowed.includes(s.type));
    if (found) return found;
    // Only the newest line with anything to accept counts: an older one is stale.
    if (line.suggestions.some((s) => !s.applied)) return null;
  }
  return null;
}

/** @param {Suggestion} suggestion */
function accept(suggestion) {
  lines = [];
  render();
  void send(suggestion.type, suggestion.data);
}

/** @type {HTMLOListElement} */
let list;
/** @type {HTMLElement} */
let hint;

function render() {
  const best = top();
  const allowed = /** @type {string[]} */ (state.view?.allowedEvents ?? []);
  list.replaceChildren(
    ...lines.map((line) =>
      h(
        'li',
        { class: 'transcript-line' },
        line.text === null
          ? null
          : h(
              'p',
              { class: 'transcript-text' },
              highlighted(
                line.text,
                line.suggestions.flatMap((s) => s.evidence),
              ),
            ),
        line.suggestions.length === 0
          ? h('p', { class: 'transcript-none' }, t('transcript.none'))
          : h(
              'ul',
              { class: 'suggestions' },
              line.suggestions.map((s) =>
                h(
                  'li',
                  {
                    class: `suggestion${s === best ? ' top' : ''}${s.confidence < COUNTED ? ' weak' : ''}${s.applied ? ' applied' : ''}`,
                    dataset: { type: s.type },
                  },
                  h('span', { class: 'suggestion-label' }, eventLabel(s.type)),
                  s.data
                    ? h('span', { class: 'suggestion-data' }, Object.values(s.data).map(valueLabel).join(' '))
                    : null,
                  h('span', { class: 'suggestion-confidence' }, `${Math.round(s.confidence * 100)}%`),
                  s.evidence.length
                    ? h(
                        'span',
                        { class: 'suggestion-evidence' },
                        s.evidence.map((w) => h('mark', {}, w)),
                      )
                    : null,
                  s.applied
                    ? h('span', { class: 'suggestion-applied' }, t('transcript.applied'))
                    : h(
                        'button',
                        {
                          type: 'button',
                          class: 'suggestion-accept',
                          disabled: !allowed.includes(s.type) || state.busy,
                          onclick: () => accept(s),
                        },
                        s === best ? t('transcript.acceptTop') : t('transcript.accept'),
                      ),
                ),
              ),
            ),
      ),
    ),
  );
  hint.hidden = best === null;
}

/** @param {Line} line */
function addLine(line) {
  lines = [line, ...lines.filter((l) => l.key !== line.key)].slice(0, KEPT);
  render();
}

/** @param {KeyboardEvent} event */
function onKeydown(event) {
  if (
    event.key !== 'Enter' ||
    event.defaultPrevented ||
    event.shiftKey ||
    event.ctrlKey ||
    event.metaKey ||
    event.altKey
  )
    return;
  const target = event.target;
  const inBox = target instanceof HTMLTextAreaElement && target.id === 'transcript-line';
  if (inBox && target.value.trim() !== '') return; // the form sends the line
  if (
    !inBox &&
    target instanceof Element &&
    target.closest('input, textarea, select, button, [contenteditable="true"]')
  )
    return;
  const best = top();
  if (!best) return;
  event.preventDefault();
  accept(best);
}

/** @type {import('./panels.js').Panel} */
export default {
  mount(card) {
    const box = h('textarea', {
      id: 'transcript-line',
      rows: 2,
      maxlength: 2000,
      placeholder: t('transcript.placeholder'),
      'aria-label': t('transcript.title'),
    });
    const submit = h('button', { type: 'submit', class: 'primary' }, t('transcript.send'));
    const form = h('form', { class: 'transcript-form' }, box, submit);
    list = h('ol', { id: 'transcript-lines', class: 'transcript-lines' });
    hint = h('p', { class: 'hint transcript-hint', hidden: true }, t('transcript.hint'));
    const title = h('h2', {}, t('transcript.title'));
    card.append(title, form, hint, list);

    const sendLine = async () => {
      const text = box.value.trim();
      const callId = state.callId;
      if (!text || !callId) return;
      const id = api.newId();
      sentHere.add(id);
      box.value = '';
      try {
        const heard = await api.postUtterance(callId, { speaker: 'customer', text, id });
        if (callId !== state.callId) return;
        if (heard.applied) applyView(heard.applied);
        addLine({ key: id, text, suggestions: heard.suggestions });
      } catch (error) {
        box.value = text;
        showError(error);
      }
    };
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void sendLine();
    });
    box.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && box.value.trim() !== '') {
        event.preventDefault();
        void sendLine();
      }
    });
    document.addEventListener('keydown', onKeydown);

    on('suggestion', (suggestion) => {
      const key = suggestion.utteranceId ?? `v${suggestion.version}`;
      if (sentHere.has(key)) return;
      const known = lines.find((l) => l.key === key);
      const { rank: _rank, version: _version, utteranceId: _id, ...plain } = suggestion;
      if (known && suggestion.rank > 0) {
        known.suggestions = [...known.suggestions, plain];
        render();
      } else {
        addLine({ key, text: null, suggestions: [plain] });
      }
    });
    /** @type {string | null} */
    let shownCall = null;
    on('call', () => {
      if (state.callId !== shownCall) {
        shownCall = state.callId;
        lines = [];
      }
      submit.disabled = !state.callId;
      render();
    });
    on('actions', render);
    on('locale', () => {
      title.textContent = t('transcript.title');
      box.placeholder = t('transcript.placeholder');
      submit.textContent = t('transcript.send');
      hint.textContent = t('transcript.hint');
      render();
    });
    submit.disabled = !state.callId;
    render();
  },
};
