// @ts-check
/**
 * The report page's three charts, drawn by Chart.js (its UMD bundle, served from node_modules at
 * /ui/vendor/chart.umd.js and loaded on first use): calls by end reason over days (stacked
 * bars), hold checks per operator, and the operators ranked by repeat-limit and profanity
 * endings (horizontal stacked bars, worst first). Chart.js because the three are bar charts
 * with stacks, legends and tooltips out of the box, and it styles its canvas through the CSSOM
 * only, which the page's CSP allows; uPlot draws series over a numeric axis and would need a
 * plugin for bars.
 */
import { t } from '../i18n.js';

/** @import { AdherenceReport, ChartConstructor } from '../types.js' */

/** @type {Promise<ChartConstructor> | null} */
let loading = null;

/** Chart.js, loaded once. */
function chartJs() {
  loading ??= new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = '/ui/vendor/chart.umd.js';
    script.onload = () => resolve(/** @type {{ Chart: ChartConstructor }} */ (/** @type {unknown} */ (window)).Chart);
    script.onerror = () => {
      loading = null;
      script.remove();
      reject(new Error('Chart.js could not be loaded (/ui/vendor/chart.umd.js)'));
    };
    document.head.append(script);
  });
  return loading;
}

/** Distinct colours for the end reasons, in END_REASONS order, and the two ranked figures. */
const PALETTE = ['#15803d', '#b45309', '#64748b', '#b91c1c', '#7c3aed', '#0e7490', '#a16207', '#1d4ed8'];

/** @param {string | null} key */
const operatorLabel = (key) => key ?? t('reports.noOperator');

/**
 * (Re)draws the three charts into their canvases.
 * @param {{ endReasons: HTMLCanvasElement, holdChecks: HTMLCanvasElement, ranked: HTMLCanvasElement }} canvases
 * @param {AdherenceReport} byDay
 * @param {AdherenceReport} byOperator
 */
export async function drawCharts(canvases, byDay, byOperator) {
  const Chart = await chartJs();
  for (const canvas of Object.values(canvases)) Chart.getChart(canvas)?.destroy();
  const common = { animation: /** @type {false} */ (false), responsive: true, maintainAspectRatio: false };
  const reasons = Object.keys(byDay.totals.ended);

  new Chart(canvases.endReasons, {
    type: 'bar',
    data: {
      labels: byDay.groups.map((g) => g.key ?? ''),
      datasets: reasons.map((reason, i) => ({
        label: t(`end.${reason}`),
        data: byDay.groups.map((g) => g.ended[reason] ?? 0),
        backgroundColor: PALETTE[i % PALETTE.length],
      })),
    },
    options: {
      ...common,
      scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
    },
  });

  new Chart(canvases.holdChecks, {
    type: 'bar',
    data: {
      labels: byOperator.groups.map((g) => operatorLabel(g.key)),
      datasets: [
        { label: t('figure.holdChecks'), data: byOperator.groups.map((g) => g.holdChecks), backgroundColor: '#b45309' },
      ],
    },
    options: { ...common, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });

  const ranked = [...byOperator.groups]
    .map((g) => ({ key: g.key, repeat: g.repeatLimits, profanity: g.profanityTerminations }))
    .sort((a, b) => b.repeat + b.profanity - (a.repeat + a.profanity) || b.repeat - a.repeat);
  new Chart(canvases.ranked, {
    type: 'bar',
    data: {
      labels: ranked.map((r) => operatorLabel(r.key)),
      datasets: [
        { label: t('figure.repeatLimits'), data: ranked.map((r) => r.repeat), backgroundColor: '#1d4ed8' },
        { label: t('figure.profanityTerminations'), data: ranked.map((r) => r.profanity), backgroundColor: '#b91c1c' },
      ],
    },
    options: {
      ...common,
      indexAxis: 'y',
      scales: { x: { stacked: true, beginAtZero: true, ticks: { precision: 0 } }, y: { stacked: true } },
    },
  });
}
