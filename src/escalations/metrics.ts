/**
 * The escalations' metrics, in one place: changes committed by this process by the status they
 * led to (open: created), and the escalations open now (read from the store at each scrape).
 */
import type { Metrics } from '../metrics.js';
import type { EscalationStatus } from './schema.js';

export interface EscalationMetrics {
  changed(status: EscalationStatus, n?: number): void;
}

export function escalationMetrics(metrics: Metrics, countOpen: () => Promise<number>): EscalationMetrics {
  const changes = metrics.counter(
    'callflow_escalation_changes_total',
    'Escalation changes committed by this process, by the status they led to (open: created)',
    ['status'],
  );
  metrics.gauge('callflow_escalations_open', 'Escalations neither acknowledged nor resolved', countOpen);
  return {
    changed(status, n = 1) {
      changes.inc({ status }, n);
    },
  };
}
