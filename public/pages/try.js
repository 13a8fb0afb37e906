// @ts-check
/**
 * "Try the script" (SPEC §11): run a scenario, one of the shipped ones or one pasted, through
 * POST /v1/simulate against the current script version, an older one, or a draft pasted as
 * JSON (what PUT /v1/script takes), and read the transcript step by step. Nothing is stored.
 */
import * as api from '../api.js';
import { $, h } from '../dom.js';
import { t } from '../i18n.js';
import { showError } from '../shell/alerts.js';
import { on } from '../shell/events.js';

/** @import { ScenarioList, SimulateBody, SimulateTranscript } from '../types.js' */

/** @type {ScenarioList['scenarios']} */
let shipped = [];

async function loadChoices() {
  const [scenarios, versions] = await Promise.all([api.listScenarios(), api.listScriptVersions()]);
  shipped = scenarios.scenarios;
  const pick = $('#try-scenario', HTMLSelectElement);
  const chosen = pick.value;
  pick.replaceChildren(
    h('option', { value: '' }, t('try.pasted')),
    ...shipped.map((s) => h('option', { value: s.file }, `${s.name} (${s.file})`)),
  );
  pick.value = chosen;
  const script = $('#try-script', HTMLSelectElement);
  const kept = script.value;
  script.replaceChildren(
    h('option', { value: 'current' }, `${t('try.current')} (v${versions.current})`),
    ...versions.versions
      .filter((v) => v.version !== versions.current)
      .map((v) => h('option', { value: String(v.version) }, `v${v.version}`)),
    h('option', { value: 'draft' }, t('try.draft')),
  );
  if (kept) script.value = kept;
}

async function chooseScript() {
  const draft = $('#try-draft', HTMLTextAreaElement);
  const isDraft = $('#try-script', HTMLSelectElement).value === 'draft';
  draft.hidden = !isDraft;
  if (isDraft && !draft.value.trim()) {
    // Start from the current version: a draft is usually a small edit of it.
    const current = await api.getScript();
    draft.value = JSON.stringify({ catalogues: current.catalogues, limits: current.fixedLimits }, null, 2);
  }
}

/** @returns {SimulateBody | null} */
function request() {
  const scenario = $('#try-yaml', HTMLTextAreaElement).value;
  const script = $('#try-script', HTMLSelectElement).value;
  /** @type {SimulateBody} */
  const body = { scenario };
  if (script === 'draft') {
    try {
      body.draft = JSON.parse($('#try-draft', HTMLTextAreaElement).value);
    } catch (error) {
      showError(new Error(`${t('try.badDraft')}: ${error instanceof Error ? error.message : String(error)}`));
      return null;
    }
  } else if (script !== 'current') body.scriptVersion = Number(script);
  return body;
}

/** @param {SimulateTranscript} transcript */
function renderTranscript(transcript) {
  const failed = transcript.steps.filter((s) => s.failure !== null).length;
  $('#try-result').replaceChildren(
    h(
      'p',
      {
        id: 'try-verdict',
        class: transcript.passed ? 'verdict passed' : 'verdict failed',
        dataset: { passed: String(transcript.passed) },
      },
      transcript.passed ? t('try.passed') : `${t('try.failed')}: ${failed}`,
    ),
    h(
      'table',
      { id: 'try-steps', class: 'data-table' },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          ...['try.step', 'try.event', 'try.outcome', 'try.prompts', 'try.state', 'try.failure'].map((k) =>
            h('th', null, t(k)),
          ),
        ),
      ),
      h(
        'tbody',
        null,
        ...transcript.steps.map((s) =>
          h(
            'tr',
            { dataset: { step: String(s.step), outcome: s.outcome }, class: s.failure ? 'changed-row' : null },
            h('td', null, String(s.step), s.line === null ? null : h('span', { class: 'muted small' }, ` :${s.line}`)),
            h('td', null, s.event ?? `wait ${s.wait}`),
            h('td', null, s.outcome),
            h('td', { class: 'prompts' }, ...(s.prompts ?? []).map((p) => h('p', { dataset: { key: p.key } }, p.text))),
            h('td', { class: 'small' }, [s.state ?? []].flat().join(', ')),
            h('td', { class: 'failure' }, s.failure ?? s.detail ?? ''),
          ),
        ),
      ),
    ),
  );
}

async function run() {
  const body = request();
  if (!body) return;
  const button = $('#try-run', HTMLButtonElement);
  button.disabled = true;
  try {
    renderTranscript(await api.simulate(body));
  } catch (error) {
    const problem = error instanceof api.ApiError ? error.problem : null;
    const errors = /** @type {{ field: string, message: string }[] | undefined} */ (problem?.errors);
    $('#try-result').replaceChildren(
      h(
        'p',
        { id: 'try-verdict', class: 'verdict failed', dataset: { passed: 'false' } },
        problem?.detail ?? String(error),
      ),
      h('ul', { id: 'try-problems' }, ...(errors ?? []).map((e) => h('li', null, `${e.field}: ${e.message}`))),
    );
  } finally {
    button.disabled = false;
  }
}

/** @param {HTMLElement} panel */
function mount(panel) {
  panel.classList.add('try-page');
  panel.replaceChildren(
    h(
      'section',
      { class: 'card' },
      h('div', { class: 'card-head' }, h('h2', { 'data-i18n': 'try.title' }, t('try.title'))),
      h(
        'div',
        { class: 'try-controls' },
        h(
          'label',
          { class: 'field' },
          h('span', { 'data-i18n': 'try.scenario' }, t('try.scenario')),
          h('select', { id: 'try-scenario' }),
        ),
        h(
          'label',
          { class: 'field' },
          h('span', { 'data-i18n': 'try.script' }, t('try.script')),
          h('select', { id: 'try-script' }),
        ),
        h('button', { type: 'button', id: 'try-run', class: 'primary' }, t('try.run')),
      ),
      h('textarea', {
        id: 'try-yaml',
        rows: 14,
        spellcheck: 'false',
        placeholder: 'name: …\nsteps:\n  - event: call.hold\n    expect: { prompts: [hold.start] }',
      }),
      h('textarea', { id: 'try-draft', rows: 10, spellcheck: 'false', hidden: true, 'aria-label': t('try.draft') }),
    ),
    h('section', { class: 'card' }, h('div', { id: 'try-result' }, h('p', { class: 'muted' }, t('try.hint')))),
  );
  $('#try-scenario').addEventListener('change', () => {
    const file = $('#try-scenario', HTMLSelectElement).value;
    const found = shipped.find((s) => s.file === file);
    if (found) $('#try-yaml', HTMLTextAreaElement).value = found.yaml;
  });
  $('#try-script').addEventListener('change', () => chooseScript().catch(showError));
  $('#try-run').addEventListener('click', () => void run());
  on('locale', () => void loadChoices().catch(showError));
  on('token', () => void loadChoices().catch(showError));
  return loadChoices().catch(showError);
}

export default { mount, show: () => void loadChoices().catch(showError) };
