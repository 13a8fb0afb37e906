/**
 * The adherence report page and the call's adherence card in headless Chromium against the real
 * server process (SPEC §8). Calls with known outcomes are made over the API (two operators:
 * profanity, repeat limit, a hold with a fired check, an escalation, a hang-up); the page's
 * table shows the report's figures, its charts are drawn with them (Chart.js's own elements, a
 * bar for each figure above zero), and the console's card shows one call's. Screenshot in
 * test-artifacts/reports.png.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, launchChromium, openPage } from '../support/browser.js';
import { type ServerProcess, startServer } from '../support/server-process.js';

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const DAY = 86_400_000;

let browser: Browser;
let server: ServerProcess;
let dir: string;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'callflow-reports-'));
  [browser, server] = await Promise.all([
    launchChromium(),
    startServer({ DATABASE_URL: `sqlite:${join(dir, 'callflow.db')}`, HOLD_CHECK_SECONDS: '1' }),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function request(method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(res.status, `${method} ${path}`).toBeLessThan(300);
  return res.json() as Promise<Record<string, unknown>>;
}

/** A call of the operator, then its events in order. */
async function callWith(callId: string, operatorId: string, events: [string, Record<string, string>?][]) {
  await request('POST', '/v1/calls', { callId, operatorId });
  for (const [type, data] of events)
    await request('POST', `/v1/calls/${callId}/events`, data ? { type, data } : { type });
}

interface Figures {
  calls: number;
  ended: Record<string, number>;
  holdChecks: number;
  repeatLimits: number;
  profanityTerminations: number;
  [name: string]: unknown;
}
interface Report {
  groups: (Figures & { key: string | null })[];
  totals: Figures;
}

interface DrawnChart {
  labels: string[];
  datasets: { label: string; data: number[]; bars: number[] }[];
}

/** A chart as Chart.js holds it: labels, each dataset's data, and each bar's drawn length in pixels. */
const drawn = (id: string) => `(() => {
  const chart = Chart.getChart(${JSON.stringify(id)});
  const horizontal = chart.options.indexAxis === 'y';
  return {
    labels: chart.data.labels,
    datasets: chart.data.datasets.map((d, i) => ({
      label: d.label,
      data: d.data,
      bars: chart.getDatasetMeta(i).data.map((bar) => Math.round(Math.abs(horizontal ? bar.x - bar.base : bar.base - bar.y))),
    })),
  };
})()`;

describe('adherence report page (Chromium)', () => {
  it('shows the report of the calls made: table, CSV, three charts drawn with the figures, and the call card', async () => {
    await callWith('rep-1', 'op.anna', [['customer.profanity'], ['customer.profanity']]);
    await callWith('rep-2', 'op.anna', [
      ['answer.given'],
      ['customer.repeat-request'],
      ['customer.repeat-request'],
      ['customer.repeat-request'],
      ['customer.repeat-request'],
    ]);
    await callWith('rep-3', 'op.boris', [['customer.unknown-topic', { topic: 'про доставку' }], ['call.hold']]);
    // The hold check fires after HOLD_CHECK_SECONDS=1 without a return.
    for (let i = 0; ; i++) {
      const history = (await request('GET', '/v1/calls/rep-3/history')) as { events: { type: string }[] };
      if (history.events.some((e) => e.type === 'hold.check')) break;
      expect(i, 'the hold check fired').toBeLessThan(100);
      await new Promise((r) => setTimeout(r, 100));
    }
    await request('POST', '/v1/calls/rep-3/events', { type: 'call.unhold' });
    await request('POST', '/v1/calls/rep-3/events', { type: 'call.hangup', data: { by: 'customer' } });
    await callWith('rep-4', 'op.boris', [['customer.profanity'], ['customer.profanity']]);

    const today = Date.now() - (Date.now() % DAY);
    const period = `from=${new Date(today - 6 * DAY).toISOString().slice(0, 10)}&to=${new Date(today + DAY).toISOString().slice(0, 10)}`;
    const byOperator = (await request('GET', `/v1/reports/adherence?${period}&groupBy=operator`)) as unknown as Report;
    const byDay = (await request('GET', `/v1/reports/adherence?${period}&groupBy=day`)) as unknown as Report;
    // What the calls above make, by hand.
    expect(
      byOperator.groups.map((g) => [g.key, g.calls, g.holdChecks, g.repeatLimits, g.profanityTerminations]),
    ).toEqual([
      ['op.anna', 2, 0, 1, 1],
      ['op.boris', 2, 1, 0, 1],
    ]);
    expect(byDay.groups).toHaveLength(7);

    const { page, errors } = await openPage(browser, `${server.url}/#tab=reports`);
    await page.waitForSelector('#reports-view[data-loaded]');

    // The table: one row per operator and the totals, the figures of the JSON report.
    const cells = (selector: string) =>
      page.locator(selector).evaluateAll((rows) => rows.map((r) => [...r.children].map((c) => c.textContent?.trim())));
    const reasons = Object.keys(byOperator.totals.ended);
    const figures = [
      'holds',
      'holdChecks',
      'longestHoldSeconds',
      'repeatAnswers',
      'repeatLimits',
      'connectionLost',
      'profanityWarnings',
      'profanityTerminations',
      'escalations',
      'skippedContacts',
    ];
    const rowOf = (key: string, f: Figures) => [
      key,
      String(f.calls),
      ...reasons.map((r) => String(f.ended[r])),
      ...figures.map((n) => String(f[n])),
    ];
    expect(await cells('#adherence-table tbody tr')).toEqual(byOperator.groups.map((g) => rowOf(g.key ?? '', g)));
    expect(await cells('#adherence-table tfoot tr')).toEqual([rowOf('Итого', byOperator.totals)]);
    await page.selectOption('#report-group', 'day');
    expect(await cells('#adherence-table tbody tr')).toEqual(byDay.groups.map((g) => rowOf(g.key ?? '', g)));

    // The CSV download is the service's CSV.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#report-csv')]);
    const saved = join(dir, 'report.csv');
    await download.saveAs(saved);
    const csv = await (await fetch(`${server.url}/v1/reports/adherence?${period}&groupBy=day&format=csv`)).text();
    expect(readFileSync(saved, 'utf8')).toBe(csv);

    // The charts, as drawn.
    const endReasons = (await page.evaluate(drawn('chart-end-reasons'))) as DrawnChart;
    expect(endReasons.labels).toEqual(byDay.groups.map((g) => g.key));
    expect(endReasons.datasets.map((d) => d.data)).toEqual(reasons.map((r) => byDay.groups.map((g) => g.ended[r])));
    const holdChecks = (await page.evaluate(drawn('chart-hold-checks'))) as DrawnChart;
    expect(holdChecks.labels).toEqual(['op.anna', 'op.boris']);
    expect(holdChecks.datasets.map((d) => d.data)).toEqual([[0, 1]]);
    const ranked = (await page.evaluate(drawn('chart-ranked'))) as DrawnChart;
    // Anna has two such endings, Boris one: Anna first.
    expect(ranked.labels).toEqual(['op.anna', 'op.boris']);
    expect(ranked.datasets.map((d) => d.data)).toEqual([
      [1, 0],
      [1, 1],
    ]);
    // Every figure above zero is a bar that can be seen; zero is none.
    for (const chart of [endReasons, holdChecks, ranked]) {
      for (const d of chart.datasets) {
        expect(d.bars.map((px, i) => (d.data[i]! > 0 ? px > 2 : px === 0))).toEqual(d.data.map(() => true));
      }
    }
    await page.screenshot({ path: join(ARTIFACTS, 'reports.png'), fullPage: true });

    // The console's card of one call: the same figures, by the same SQL.
    const console = await openPage(browser, `${server.url}/#call=rep-3`);
    const card = await request('GET', '/v1/calls/rep-3/adherence');
    await console.page.waitForSelector('#call-adherence [data-figure="holdChecks"] dd');
    const shown = await console.page
      .locator('#call-adherence .adherence-figure')
      .evaluateAll((els) => els.map((e) => [e.getAttribute('data-figure'), e.querySelector('dd')?.textContent]));
    expect(shown).toEqual(figures.map((n) => [n, String(card[n])]));
    expect(card).toMatchObject({ holds: 1, holdChecks: 1, escalations: 1 });
    expect([...errors, ...console.errors]).toEqual([]);
    await page.close();
    await console.page.close();
  }, 90_000);
});
