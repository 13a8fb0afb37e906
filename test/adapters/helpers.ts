/** Shared by the adapter tests: the adapters' counters from /metrics, and histories to compare. */
import { expect } from 'vitest';
import type { HistoryEvent, View } from '../support/api.js';
import { until } from '../support/api.js';
import type { TestApp } from '../support/app.js';
import { parseMetrics, sampleValue } from '../support/prometheus.js';

export type Counts = (type: string, outcome: string) => number;

/** callflow_adapter_events_total of one adapter, read with an independent parser. */
export async function adapterCounts(app: TestApp, adapter: string): Promise<{ count: Counts; total: number }> {
  const res = await app.inject({ method: 'GET', url: '/metrics' });
  expect(res.statusCode).toBe(200);
  const scrape = parseMetrics(res.body);
  const mine = scrape.samples.filter((s) => s.name === 'callflow_adapter_events_total' && s.labels.adapter === adapter);
  return {
    count: (type, outcome) => sampleValue(scrape, 'callflow_adapter_events_total', { adapter, type, outcome }),
    total: mine.reduce((sum, s) => sum + s.value, 0),
  };
}

/** Waits until `adapter` has counted `total` events in all (every event sent has been handled). */
export async function untilCounted(app: TestApp, adapter: string, total: number, timeoutMs = 10_000) {
  return until(
    async () => {
      const counts = await adapterCounts(app, adapter);
      return counts.total >= total ? counts : null;
    },
    { timeoutMs, message: `${adapter}: ${total} events counted` },
  );
}

export async function connectedGauge(app: TestApp, adapter: string): Promise<number> {
  const res = await app.inject({ method: 'GET', url: '/metrics' });
  return sampleValue(parseMetrics(res.body), 'callflow_adapter_connected', { adapter });
}

/** What must agree between a call driven by a PBX and the same call posted by hand. */
export function apiEntries(history: HistoryEvent[]) {
  return history
    .filter((e) => e.source === 'api')
    .map(({ type, data, source, state, prompts }) => ({ type, data, source, state, prompts }));
}

export function comparableView(view: View) {
  const { callId: _callId, timers: _timers, version: _version, ...rest } = view;
  return rest;
}

/** The types of the history, timer firings folded: `hold.check`+ stands for one or more. */
export function shape(history: HistoryEvent[]): string[] {
  const out: string[] = [];
  for (const e of history) {
    const label = `${e.type}/${e.source}`;
    if (e.source === 'timer' && out.at(-1) === label) continue;
    out.push(label);
  }
  return out;
}
