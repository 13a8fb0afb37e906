/**
 * GET /metrics (SPEC §3, Prometheus text) read with an independent parser of the format
 * (test/support/prometheus.ts): Node's default metrics, HTTP duration by route pattern and status,
 * the business counters, and label values escaped as the format requires.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply, getHistory, newCall, uniqueId, until, type View } from '../support/api.js';
import { buildTestApp, type TestApp } from '../support/app.js';
import { byLabel, parseMetrics, type Scrape, sampleValue } from '../support/prometheus.js';

let app: TestApp;
beforeAll(async () => {
  app = await buildTestApp();
});
afterAll(async () => {
  await app?.close();
});

async function scrape(): Promise<Scrape> {
  const res = await app.inject({ method: 'GET', url: '/metrics' });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseMetrics(res.body);
}

/** How much each label value's sum grew between two scrapes (only the ones that did). */
function growth(before: Scrape, after: Scrape, name: string, label: string): Record<string, number> {
  const was = byLabel(before, name, label);
  const grown: Record<string, number> = {};
  for (const [value, now] of byLabel(after, name, label)) {
    if (now !== (was.get(value) ?? 0)) grown[value] = now - (was.get(value) ?? 0);
  }
  return grown;
}

const tally = (values: string[]) =>
  values.reduce<Record<string, number>>((sums, v) => Object.assign(sums, { [v]: (sums[v] ?? 0) + 1 }), {});

describe('/metrics', () => {
  it('parses whole, with the default Node metrics and the service families, each of its type', async () => {
    await newCall(app);
    const { families } = await scrape();
    const expected: Record<string, string> = {
      nodejs_eventloop_lag_seconds: 'GAUGE',
      nodejs_gc_duration_seconds: 'HISTOGRAM',
      nodejs_heap_size_used_bytes: 'GAUGE',
      nodejs_active_handles_total: 'GAUGE',
      process_resident_memory_bytes: 'GAUGE',
      nodejs_heap_used_bytes: 'GAUGE',
      callflow_http_requests_total: 'COUNTER',
      callflow_http_request_duration_seconds: 'HISTOGRAM',
      callflow_events_applied_total: 'COUNTER',
      callflow_calls_created_total: 'COUNTER',
      callflow_calls_ended_total: 'COUNTER',
      callflow_prompts_said_total: 'COUNTER',
      callflow_escalations_total: 'COUNTER',
      callflow_timers_fired_total: 'COUNTER',
      callflow_commit_batch_size: 'HISTOGRAM',
      callflow_commit_seconds: 'HISTOGRAM',
      callflow_timer_lateness_seconds: 'HISTOGRAM',
      callflow_calls_active: 'GAUGE',
      callflow_calls_cached: 'GAUGE',
      callflow_stream_clients: 'GAUGE',
    };
    for (const [name, type] of Object.entries(expected)) expect(families.get(name)?.type, name).toBe(type);
    for (const family of families.values()) expect(family.help, family.name).not.toBe('');
  });

  it('times HTTP requests by route pattern and status, never by the raw URL', async () => {
    const before = await scrape();
    const { callId } = await newCall(app);
    await apply(app, callId, { type: 'answer.given' });
    await apply(app, callId, { type: 'customer.repeat-request' });
    const missing = `missing-${uniqueId()}`;
    expect((await app.inject({ method: 'GET', url: `/v1/calls/${missing}` })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: `/no/such/${missing}` })).statusCode).toBe(404);
    const after = await scrape();

    const count = (s: Scrape, method: string, route: string, status: string) =>
      sampleValue(s, 'callflow_http_request_duration_seconds_count', { method, route, status });
    const grew = (method: string, route: string, status: string) =>
      count(after, method, route, status) - count(before, method, route, status);
    expect(grew('POST', '/v1/calls', '201')).toBe(1);
    expect(grew('POST', '/v1/calls/:callId/events', '200')).toBe(2);
    expect(grew('GET', '/v1/calls/:callId', '404')).toBe(1);
    expect(grew('GET', 'unmatched', '404')).toBe(1);
    // The counter agrees with the histogram.
    const events = { method: 'POST', route: '/v1/calls/:callId/events', status: '200' };
    expect(sampleValue(after, 'callflow_http_requests_total', events)).toBe(count(after, 'POST', events.route, '200'));
    // Buckets are cumulative and end with every request.
    const buckets = after.samples.filter(
      (s) =>
        s.name === 'callflow_http_request_duration_seconds_bucket' &&
        s.labels.route === events.route &&
        s.labels.method === 'POST' &&
        s.labels.status === '200',
    );
    expect(buckets.at(-1)?.labels.le).toBe('+Inf');
    expect(buckets.at(-1)?.value).toBe(count(after, 'POST', events.route, '200'));
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
    // No series names a call.
    for (const s of after.samples) {
      for (const value of Object.values(s.labels)) {
        expect(value).not.toContain(callId);
        expect(value).not.toContain(missing);
      }
    }
  });

  it('counts prompts by key, calls ended by endReason, escalations, hold checks and events as the answers show them', async () => {
    const before = await scrape();
    const views: View[] = [];
    const ids: string[] = [];
    const run = async (events: { type: string; data?: Record<string, unknown> }[]) => {
      const created = await newCall(app);
      ids.push(created.callId);
      views.push(created);
      for (const event of events) views.push(await apply(app, created.callId, event));
      return created.callId;
    };
    await run([
      { type: 'answer.given' },
      { type: 'customer.unknown-topic', data: { topic: 'новая рассылка' } },
      { type: 'customer.repeat-request' },
      { type: 'customer.repeat-request' },
      { type: 'customer.repeat-request' },
      { type: 'customer.repeat-request' },
    ]);
    await run([{ type: 'customer.non-citizen' }, { type: 'offer.declined' }]);
    await run([{ type: 'customer.prank' }, { type: 'call.hangup', data: { by: 'operator' } }]);
    // A hold whose check fires (HOLD_CHECK_SECONDS is 0.2 here) before the call is taken off hold.
    const held = await run([{ type: 'call.hold' }]);
    await until(async () => (await getHistory(app, held)).some((e) => e.type === 'hold.check'), {
      timeoutMs: 5_000,
      message: 'a hold check',
    });
    views.push(await apply(app, held, { type: 'call.unhold' }));
    const after = await scrape();

    const histories = (await Promise.all(ids.map((id) => getHistory(app, id)))).flat();
    const checks = histories.filter((e) => e.type === 'hold.check');
    expect(checks.length).toBeGreaterThan(0);
    // Every prompt said: the greeting of each new call, each answer's, each timer firing's.
    const promptKeys = [
      ...views.filter((v) => v.version === 0).flatMap((v) => v.prompts.map((p) => p.key)),
      ...histories.flatMap((e) => e.prompts.map((p) => p.key)),
    ];
    const endReasons = ids
      .map((id) => views.filter((v) => v.callId === id).at(-1)!)
      .filter((v) => v.status === 'ended');
    expect(endReasons.map((v) => v.endReason).sort()).toEqual(['hangup', 'offer-declined', 'repeat-limit']);

    expect(growth(before, after, 'callflow_prompts_said_total', 'key')).toEqual(tally(promptKeys));
    expect(growth(before, after, 'callflow_calls_ended_total', 'reason')).toEqual(
      tally(endReasons.map((v) => v.endReason!)),
    );
    expect(growth(before, after, 'callflow_events_applied_total', 'type')).toEqual(tally(histories.map((e) => e.type)));
    expect(growth(before, after, 'callflow_timers_fired_total', 'timer')).toEqual({ 'hold.check': checks.length });
    const escalations = views.flatMap((v) => v.actions).filter((a) => a.type === 'supervisor.escalation');
    expect(escalations).toHaveLength(1);
    expect(sampleValue(after, 'callflow_escalations_total') - sampleValue(before, 'callflow_escalations_total')).toBe(
      escalations.length,
    );
    expect(
      sampleValue(after, 'callflow_calls_created_total') - sampleValue(before, 'callflow_calls_created_total'),
    ).toBe(ids.length);
    expect(sampleValue(after, 'callflow_calls_active')).toBeGreaterThanOrEqual(1);
  });

  it('escapes label values: ", \\ and a newline come back as they went in', async () => {
    const odd = 'say "hello"\\ then\nleave';
    app.metrics
      .counter('callflow_test_escapes_total', 'A label value that needs escaping', ['value'])
      .inc({ value: odd });
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.body).toContain('callflow_test_escapes_total{value="say \\"hello\\"\\\\ then\\nleave"} 1\n');
    expect(sampleValue(parseMetrics(res.body), 'callflow_test_escapes_total', { value: odd })).toBe(1);
  });
});
