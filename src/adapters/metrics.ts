/**
 * The adapters' metrics, all in this one file: events by adapter, type and outcome, and
 * whether each adapter is connected.
 */
import { Gauge } from 'prom-client';
import type { Metrics } from '../metrics.js';
import { ADAPTER_NAMES, type AdapterName, type Outcome } from './types.js';

export interface AdapterCounters {
  event(adapter: AdapterName, type: string, outcome: Outcome): void;
}

export function registerAdapterMetrics(
  metrics: Metrics,
  connected: (adapter: AdapterName) => boolean,
): AdapterCounters {
  const events = metrics.counter(
    'callflow_adapter_events_total',
    'PBX events received by the telephony adapters, by adapter, PBX event type and outcome',
    ['adapter', 'type', 'outcome'],
  );
  new Gauge({
    name: 'callflow_adapter_connected',
    help: '1 while this process holds the PBX connection and it is up',
    labelNames: ['adapter'],
    registers: [metrics.registry],
    collect() {
      for (const name of ADAPTER_NAMES) this.set({ adapter: name }, connected(name) ? 1 : 0);
    },
  });
  return { event: (adapter, type, outcome) => events.inc({ adapter, type, outcome }) };
}
