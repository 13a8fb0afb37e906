/**
 * GET /v1/reports/adherence and GET /v1/calls/{callId}/adherence through the API (SPEC §8): the
 * CSV and the JSON agree figure for figure (the CSV read back with csv-parse, an independent
 * parser), the per-call figures add up to the report's, and every wrong query is a 400 problem.
 * The figures themselves are checked by hand on both stores in test/store/supervisor.contract.test.ts.
 */
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyAll, problemOf, sleep, uniqueId } from '../support/api.js';
import { buildTestApp, post, type TestApp } from '../support/app.js';

let app: TestApp;
const today = new Date().toISOString().slice(0, 10);
const DAY = 86_400_000;
const dayAfter = (date: string, n = 1) => new Date(Date.parse(date) + n * DAY).toISOString().slice(0, 10);
const calls: string[] = [];

async function start(operatorId?: string) {
  const callId = uniqueId('rep');
  const res = await post(app, '/v1/calls', { callId, ...(operatorId ? { operatorId } : {}) });
  expect(res.statusCode, res.body).toBe(201);
  calls.push(callId);
  return callId;
}

beforeAll(async () => {
  app = await buildTestApp({ HOLD_CHECK_SECONDS: '0.2' });
  const a = await start('op.a-1');
  await applyAll(app, a, ['call.hold']);
  await sleep(500); // two hold checks fire
  await applyAll(app, a, ['call.unhold', 'answer.given', 'customer.repeat-request', 'customer.profanity']);
  const b = await start('op.a-1');
  await applyAll(app, b, [
    { type: 'customer.unknown-topic', data: { topic: 'реклама' } },
    { type: 'customer.contact-refused', data: { field: 'email' } },
    'customer.profanity',
    'customer.profanity',
  ]);
  const c = await start('-op.b'); // an id a spreadsheet would read as a formula
  await applyAll(app, c, [
    'customer.cannot-hear',
    'customer.cannot-hear',
    'customer.cannot-hear',
    'customer.cannot-hear',
  ]);
  const d = await start();
  await applyAll(app, d, ['call.hold', { type: 'call.hangup', data: { by: 'customer' } }]);
});
afterAll(() => app?.close());

const get = (url: string) => app.inject({ method: 'GET', url });

type Figures = Record<string, unknown> & { ended: Record<string, number> };

/** A CSV row back into the JSON shape, by the header's column names. */
function fromCsv(header: string[], row: string[]): { row: string; key: string | null } & Figures {
  const out: Record<string, unknown> = { ended: {} };
  header.forEach((name, i) => {
    const cell = row[i] ?? '';
    if (name === 'row') out.row = cell;
    else if (name === 'key') out.key = cell === '' ? null : cell.replace(/^'/, '');
    else if (name.startsWith('ended.')) (out.ended as Record<string, number>)[name.slice(6)] = Number(cell);
    else out[name] = Number(cell);
  });
  return out as { row: string; key: string | null } & Figures;
}

describe('adherence report over the API', () => {
  for (const groupBy of ['operator', 'day'] as const) {
    it(`CSV and JSON agree, group by group and in the totals (by ${groupBy})`, async () => {
      const query = `from=${today}&to=${dayAfter(today)}&groupBy=${groupBy}`;
      const json = await get(`/v1/reports/adherence?${query}`);
      expect(json.statusCode).toBe(200);
      expect(json.headers['content-type']).toMatch(/^application\/json/);
      const report = json.json() as { groups: ({ key: string | null } & Figures)[]; totals: Figures };

      const csv = await get(`/v1/reports/adherence?${query}&format=csv`);
      expect(csv.statusCode).toBe(200);
      expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(csv.headers['content-disposition']).toBe(
        `attachment; filename="adherence-${today}-${dayAfter(today)}-${groupBy}.csv"`,
      );
      const [header, ...rows] = parse(csv.body) as string[][];
      expect(header?.slice(0, 3)).toEqual(['row', 'key', 'calls']);
      const parsed = rows.map((row) => fromCsv(header as string[], row));
      expect(parsed.map((r) => r.row)).toEqual([...report.groups.map(() => 'group'), 'totals']);
      expect(parsed.slice(0, -1).map(({ row: _row, ...rest }) => rest)).toEqual(report.groups);
      const { row: _row, key, ...totals } = parsed.at(-1) as ReturnType<typeof fromCsv>;
      expect(key).toBeNull();
      expect(totals).toEqual(report.totals);
      // What this file's calls add up to (the service clock is real: they all started today).
      expect(report.totals).toMatchObject({
        calls: 4,
        holds: 2,
        repeatAnswers: 1,
        profanityWarnings: 2,
        profanityTerminations: 1,
        connectionLost: 1,
        escalations: 1,
        skippedContacts: 1,
      });
      expect(report.totals.ended).toMatchObject({ profanity: 1, 'connection-lost': 1, hangup: 1 });
      expect(report.totals.holdChecks).toBeGreaterThanOrEqual(2);
    });
  }

  it('a key a spreadsheet would run as a formula is escaped in the CSV only', async () => {
    const query = `from=${today}&to=${dayAfter(today)}`;
    const csv = (await get(`/v1/reports/adherence?${query}&format=csv`)).body;
    expect(csv).toContain("\r\ngroup,'-op.b,");
    const report = (await get(`/v1/reports/adherence?${query}`)).json() as { groups: { key: string | null }[] };
    expect(report.groups.map((g) => g.key)).toEqual(['-op.b', 'op.a-1', null]);
  });

  it('by day: every day of the period, zeros where no call started', async () => {
    const from = dayAfter(today, -2);
    const report = (await get(`/v1/reports/adherence?from=${from}&to=${dayAfter(today)}&groupBy=day`)).json() as {
      groups: { key: string; calls: number }[];
    };
    expect(report.groups.map((g) => [g.key, g.calls])).toEqual([
      [from, 0],
      [dayAfter(today, -1), 0],
      [today, 4],
    ]);
  });

  it("each call's figures add up to the report's totals", async () => {
    const report = (await get(`/v1/reports/adherence?from=${today}&to=${dayAfter(today)}`)).json() as {
      totals: Figures;
    };
    const sum: Record<string, number> = {};
    let longest = 0;
    for (const callId of calls) {
      const res = await get(`/v1/calls/${callId}/adherence`);
      expect(res.statusCode).toBe(200);
      const { callId: id, ended, longestHoldSeconds, ...figures } = res.json() as Figures & { callId: string };
      expect(id).toBe(callId);
      expect(figures.calls).toBe(1);
      longest = Math.max(longest, longestHoldSeconds as number);
      for (const [name, n] of Object.entries({
        ...figures,
        ...Object.fromEntries(Object.entries(ended).map(([k, v]) => [`ended.${k}`, v])),
      }))
        sum[name] = (sum[name] ?? 0) + (n as number);
    }
    const { ended, longestHoldSeconds, ...totals } = report.totals;
    expect(longest).toBe(longestHoldSeconds);
    expect(sum).toEqual({ ...totals, ...Object.fromEntries(Object.entries(ended).map(([k, v]) => [`ended.${k}`, v])) });
  });

  it('an unknown call: 404; a malformed call id: 400', async () => {
    problemOf(await get('/v1/calls/no-such-call/adherence'), 404);
    problemOf(await get('/v1/calls/bad%20id/adherence'), 400);
  });

  it('every wrong query is a 400 problem that says what is wrong', async () => {
    const to = dayAfter(today);
    const cases: [string, RegExp][] = [
      ['', /from/],
      [`from=${today}`, /to/],
      [`from=${today}&to=${today}`, /before/],
      [`from=${to}&to=${today}`, /before/],
      [`from=2026-02-30&to=2026-03-02`, /valid date/],
      [`from=2026-13-01&to=2027-01-01`, /valid date/],
      [`from=2026/01/01&to=2026-03-02`, /ISO 8601/],
      [`from=26-01-01&to=2026-03-02`, /from/],
      [`from=2026-01-01T10:00&to=2026-03-02`, /ISO 8601/], // a date-time needs its offset
      [`from=2026-01-01T25:00:00Z&to=2026-03-02`, /valid date/],
      [`from=2025-01-01&to=2026-03-02`, /at most 367 days/],
      [`from=${today}&to=${to}&groupBy=week`, /groupBy/],
      [`from=${today}&to=${to}&format=xml`, /format/],
      [`from=${today}&to=${to}&extra=1`, /extra/],
    ];
    for (const [query, detail] of cases) {
      const problem = problemOf(await get(`/v1/reports/adherence?${query}`), 400);
      expect(problem.detail, query).toMatch(detail);
    }
  });

  it("times the report's SQL by grouping on /metrics", async () => {
    const count = async (groupBy: string) => {
      const text = (await get('/metrics')).body;
      return Number(
        new RegExp(`^callflow_report_seconds_count\\{group_by="${groupBy}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0,
      );
    };
    const [day, operator] = [await count('day'), await count('operator')];
    expect((await get(`/v1/reports/adherence?from=${today}&to=${dayAfter(today)}&groupBy=day`)).statusCode).toBe(200);
    expect(
      (await get(`/v1/reports/adherence?from=${today}&to=${dayAfter(today)}&groupBy=day&format=csv`)).statusCode,
    ).toBe(200);
    expect(await count('day')).toBe(day + 2);
    expect(await count('operator')).toBe(operator);
  });

  it('takes date-times with offsets: [from, to) in any zone', async () => {
    const startOfToday = Date.parse(today);
    const fromMoscow = new Date(startOfToday + 3 * 3_600_000).toISOString().slice(0, 19); // 03:00 Moscow = 00:00Z
    const res = await get(
      `/v1/reports/adherence?from=${fromMoscow}%2B03:00&to=${new Date(startOfToday + DAY).toISOString()}`,
    );
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ from: new Date(startOfToday).toISOString(), totals: { calls: 4 } });
  });
});
