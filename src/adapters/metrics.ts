/**
 * The adapters' metrics, all in this one file (so a move of src/metrics.ts to prom-client only
 * touches here): events by adapter, type and outcome, and whether each adapter is connected.
 */
import { Counter, type Metrics } from '../metrics.js';
import { ADAPTER_NAMES, type AdapterName, type Outcome } from './types.js';

export interface AdapterCounters {
  event(adapter: AdapterName, type: string, outcome: Outcome): void;
}

export function registerAdapterMetrics(
  metrics: Metrics,
  connected: (adapter: AdapterName) => boolean,
): AdapterCounters {
  const events = new Counter(
    'callflow_adapter_events_total',
    'PBX events received by the telephony adapters, by adapter, PBX event type and outcome',
    ['adapter', 'type', 'outcome'],
  );
  metrics.add(events);
  metrics.add({
    render: () =>
      [
        '# HELP callflow_adapter_connected 1 while this process holds the PBX connection and it is up',
        '# TYPE callflow_adapter_connected gauge',
        ...ADAPTER_NAMES.map((name) => `callflow_adapter_connected{adapter="${name}"} ${connected(name) ? 1 : 0}`),
      ].join('\n'),
  });
  return { event: (adapter, type, outcome) => events.inc(adapter, type, outcome) };
}
