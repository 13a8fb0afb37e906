/**
 * Webhook metrics (SPEC §7) on app.metrics: attempts by outcome, attempt latency, the outbox
 * backlog (age of the oldest message that is due and not delivered) and the pending count.
 */
import type { Metrics } from '../metrics.js';
import type { DeliveryLog } from './delivery-log.js';
import type { AttemptResult } from './sender.js';

export type AttemptOutcome = 'delivered' | 'retry' | 'failed' | 'disabled';

export function webhookMetrics(metrics: Metrics, log: DeliveryLog, now: () => number = Date.now) {
  const attempts = metrics.counter(
    'callflow_webhook_attempts_total',
    'Webhook delivery attempts, by what became of the message (delivered, retry, failed, disabled) and the answer (2xx, 4xx, 5xx, or an error code)',
    ['outcome', 'answer'],
  );
  const seconds = metrics.histogram(
    'callflow_webhook_attempt_seconds',
    'Time from sending a webhook to its answer (or its failure)',
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  );
  metrics.gauge(
    'callflow_webhook_backlog_seconds',
    'Age of the oldest webhook message that is due and not yet delivered',
    () => log.backlogSeconds(now()),
  );
  metrics.gauge('callflow_webhook_pending_messages', 'Webhook messages not yet delivered or failed', () =>
    log.pending(),
  );
  return {
    attempted(result: AttemptResult, outcome: AttemptOutcome): void {
      attempts.inc({ outcome, answer: answerClass(result) });
      seconds.observe(result.durationMs / 1000);
    },
  };
}

/** The answer as a bounded label: a status class, or the error code (a short fixed set). */
function answerClass(result: AttemptResult): string {
  if (result.statusCode !== null) return `${Math.floor(result.statusCode / 100)}xx`;
  return result.error ?? 'ERROR';
}
