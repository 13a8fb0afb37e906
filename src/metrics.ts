/**
 * The service's metrics, on one prom-client registry rendered in the Prometheus text format
 * (prom-client escapes label values as the format requires). Node's default metrics (event-loop
 * lag, GC, heap, handles, CPU, memory) sit beside the service's own. A feature adds its own in
 * one line, e.g. `app.metrics.counter('callflow_webhooks_sent_total', 'Webhook messages sent', ['status'])`.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** HTTP latency buckets (seconds): the event route answers in about a millisecond when idle. */
const HTTP_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];

export class Metrics {
  readonly registry = new Registry();

  readonly httpRequests = this.counter('callflow_http_requests_total', 'HTTP requests answered, by route and status', [
    'method',
    'route',
    'status',
  ]);
  readonly httpSeconds = this.histogram(
    'callflow_http_request_duration_seconds',
    'Time to answer an HTTP request, by route pattern and status',
    HTTP_SECONDS,
    ['method', 'route', 'status'],
  );
  readonly eventsApplied = this.counter(
    'callflow_events_applied_total',
    'Events applied to calls, by type and source',
    ['type', 'source'],
  );
  readonly callsCreated = this.counter('callflow_calls_created_total', 'Calls created');
  readonly callsEnded = this.counter('callflow_calls_ended_total', 'Calls ended, by endReason', ['reason']);
  readonly promptsSaid = this.counter('callflow_prompts_said_total', 'Prompts given to operators, by catalogue key', [
    'key',
  ]);
  readonly escalations = this.counter('callflow_escalations_total', 'Supervisor escalations created');
  readonly timersFired = this.counter(
    'callflow_timers_fired_total',
    'Durable timers fired, by name (hold.check: hold checks)',
    ['timer'],
  );
  readonly commitBatch = this.histogram(
    'callflow_commit_batch_size',
    'Changes per store transaction',
    [1, 2, 5, 10, 25, 50, 100, 250, 500],
  );
  readonly commitSeconds = this.histogram(
    'callflow_commit_seconds',
    'Time to write one batch',
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
  );
  readonly timerLateness = this.histogram(
    'callflow_timer_lateness_seconds',
    'How late a timer fired after its due time',
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30],
  );
  readonly storeErrors = this.counter(
    'callflow_store_errors_total',
    'Store faults seen by requests and jobs, by kind',
    ['kind'],
  );

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // The first release's name, kept for existing dashboards (nodejs_heap_size_used_bytes is the standard one).
    this.gauge('nodejs_heap_used_bytes', 'V8 heap in use', () => process.memoryUsage().heapUsed);
  }

  counter<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return new Counter<L>({ name, help, labelNames, registers: [this.registry] });
  }

  histogram<L extends string = never>(
    name: string,
    help: string,
    buckets: number[],
    labelNames: readonly L[] = [],
  ): Histogram<L> {
    return new Histogram<L>({ name, help, buckets, labelNames, registers: [this.registry] });
  }

  /**
   * A gauge read when /metrics is scraped. A read that fails (the store is down) keeps the last
   * value: the scrape that shows an outage must not fail because of it.
   */
  gauge(name: string, help: string, read: () => number | Promise<number>): Gauge {
    return new Gauge({
      name,
      help,
      registers: [this.registry],
      async collect() {
        try {
          this.set(await read());
        } catch {
          // keep the previous value
        }
      },
    });
  }

  /** One answered HTTP request: counted, and its duration observed, by route pattern and status. */
  observeRequest(method: string, route: string, status: number, seconds: number): void {
    const labels = { method, route, status };
    this.httpRequests.inc(labels);
    this.httpSeconds.observe(labels, seconds);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The text format, one line per sample or comment: prom-client's blank lines between families
   *  are dropped (raw newlines only ever end lines; those inside values are escaped). */
  async render(): Promise<string> {
    return (await this.registry.metrics()).replace(/\n{2,}/g, '\n');
  }
}
