// @ts-check
/**
 * The adherence report (SPEC §8): a period (UTC days, the last one included), by operator or by
 * day, as a table with the totals, a CSV download, and the charts of reports/charts.js. The
 * charts always use both groupings (end reasons over days; hold checks and endings per
 * operator), whichever the table shows.
 */
import * as api from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { drawCharts } from '../reports/charts.js';
import { FIGURES } from '../reports/figures.js';
import { clearErrors, showError } from '../shell/alerts.js';
import { on } from '../shell/events.js';

/** @import { AdherenceFigures, AdherenceReport } from '../types.js' */

const DAY = 86_400_000;

/** @param {number} ms */
const isoDay = (ms) => new Date(ms).toISOString().slice(0, 10);

/** @type {{ byDay: AdherenceReport, byOperator: AdherenceReport } | null} */
let shown = null;

/**
 * @param {AdherenceReport} report
 */
function table(report) {
  const reasons = Object.keys(report.totals.ended);
  /** @param {string} key @param {AdherenceFigures} f @param {string} [cls] */
  const row = (key, f, cls) =>
    h(
      'tr',
      { class: cls },
      h('th', { scope: 'row' }, key),
      h('td', {}, f.calls),
      reasons.map((r) => h('td', {}, f.ended[r] ?? 0)),
      FIGURES.map((name) => h('td', {}, f[name])),
    );
  return h(
    'table',
    { id: 'adherence-table', class: 'report-table' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, t('reports.key')),
        h('th', { scope: 'col' }, t('figure.calls')),
        reasons.map((r) => h('th', { scope: 'col' }, t(`end.${r}`))),
        FIGURES.map((name) => h('th', { scope: 'col' }, t(`figure.${name}`))),
      ),
    ),
    h(
      'tbody',
      {},
      report.groups.map((g) => row(g.key ?? t('reports.noOperator'), g)),
    ),
    h('tfoot', {}, row(t('reports.totals'), report.totals, 'totals')),
  );
}

/** @type {import('../shell/router.js').Page} */
export default {
  mount(panel) {
    const today = Date.now() - (Date.now() % DAY);
    const from = h('input', { type: 'date', id: 'report-from', required: true, value: isoDay(today - 6 * DAY) });
    const to = h('input', { type: 'date', id: 'report-to', required: true, value: isoDay(today) });
    const groupBy = h(
      'select',
      { id: 'report-group' },
      h('option', { value: 'operator', dataset: { i18n: 'reports.byOperator' } }, t('reports.byOperator')),
      h('option', { value: 'day', dataset: { i18n: 'reports.byDay' } }, t('reports.byDay')),
    );
    const tableBox = h('div', { id: 'report-table-box', class: 'report-table-box' });
    const canvases = {
      endReasons: h('canvas', { id: 'chart-end-reasons', role: 'img', 'aria-label': t('reports.chartEndReasons') }),
      holdChecks: h('canvas', { id: 'chart-hold-checks', role: 'img', 'aria-label': t('reports.chartHoldChecks') }),
      ranked: h('canvas', { id: 'chart-ranked', role: 'img', 'aria-label': t('reports.chartRanked') }),
    };
    /** @param {string} title an i18n key @param {HTMLCanvasElement} canvas */
    const chartCard = (title, canvas) =>
      h(
        'section',
        { class: 'card chart-card' },
        h('h2', { dataset: { i18n: title } }, t(title)),
        h('div', { class: 'chart-box' }, canvas),
      );

    /** The query of the form; null (and said so) when the period is upside down. */
    const query = () => {
      const start = Date.parse(from.value);
      const end = Date.parse(to.value);
      if (!Number.isFinite(start) || !Number.isFinite(end) || end < start) {
        showError(new Error(t('reports.badPeriod')));
        return null;
      }
      return { from: isoDay(start), to: isoDay(end + DAY) };
    };

    const load = async () => {
      const period = query();
      if (!period) return;
      try {
        const [byDay, byOperator] = await Promise.all([
          api.getAdherence({ ...period, groupBy: 'day' }),
          api.getAdherence({ ...period, groupBy: 'operator' }),
        ]);
        shown = { byDay, byOperator };
        clearErrors();
        render();
        await drawCharts(canvases, byDay, byOperator);
        panel.dataset.loaded = String(Date.now());
      } catch (error) {
        showError(error);
      }
    };

    const render = () => {
      if (!shown) return;
      tableBox.replaceChildren(table(groupBy.value === 'day' ? shown.byDay : shown.byOperator));
    };

    const download = async () => {
      const period = query();
      if (!period) return;
      const grouping = /** @type {'operator' | 'day'} */ (groupBy.value);
      try {
        const csv = await api.getAdherenceCsv({ ...period, groupBy: grouping });
        const link = h('a', {
          href: URL.createObjectURL(new Blob([csv], { type: 'text/csv' })),
          download: `adherence-${period.from}-${period.to}-${grouping}.csv`,
        });
        link.click();
        setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
      } catch (error) {
        showError(error);
      }
    };

    groupBy.addEventListener('change', render);
    panel.append(
      h(
        'section',
        { class: 'card reports' },
        h('div', { class: 'card-head' }, h('h2', { dataset: { i18n: 'reports.title' } }, t('reports.title'))),
        h(
          'form',
          {
            id: 'report-form',
            class: 'report-form',
            onsubmit: (/** @type {SubmitEvent} */ event) => {
              event.preventDefault();
              void load();
            },
          },
          h('label', { class: 'field' }, h('span', { dataset: { i18n: 'reports.from' } }, t('reports.from')), from),
          h('label', { class: 'field' }, h('span', { dataset: { i18n: 'reports.to' } }, t('reports.to')), to),
          h(
            'label',
            { class: 'field' },
            h('span', { dataset: { i18n: 'reports.groupBy' } }, t('reports.groupBy')),
            groupBy,
          ),
          h('button', { type: 'submit', class: 'primary', dataset: { i18n: 'reports.show' } }, t('reports.show')),
          h(
            'button',
            {
              type: 'button',
              id: 'report-csv',
              class: 'ghost',
              dataset: { i18n: 'reports.csv' },
              onclick: () => void download(),
            },
            t('reports.csv'),
          ),
        ),
        h('p', { class: 'muted small', dataset: { i18n: 'reports.definitions' } }, t('reports.definitions')),
        tableBox,
      ),
      h(
        'div',
        { class: 'chart-grid' },
        chartCard('reports.chartEndReasons', canvases.endReasons),
        chartCard('reports.chartHoldChecks', canvases.holdChecks),
        chartCard('reports.chartRanked', canvases.ranked),
      ),
    );
    on('locale', () => {
      render();
      if (shown) void drawCharts(canvases, shown.byDay, shown.byOperator);
    });
    on('token', () => void load());
    void load();
  },
};
