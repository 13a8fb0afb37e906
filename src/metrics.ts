/** A small Prometheus text-format registry: counters, gauges and histograms, no dependencies. */

const labelValue = (value: string) => value.replace(/["\\\n]/g, '_');

/** A counter with fixed label names; `inc` takes their values in order. The label text of each
 *  distinct combination is built once (this runs for every request and every event). */
export class Counter {
  private readonly values = new Map<string, number>();
  private readonly labelText = new Map<string, string>();
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[] = [],
  ) {}
  inc(...labelValues: (string | number)[]): void {
    const id = labelValues.join('\u0000');
    let k = this.labelText.get(id);
    if (k === undefined) {
      k = this.labelNames.map((name, i) => `${name}="${labelValue(String(labelValues[i] ?? ''))}"`).join(',');
      this.labelText.set(id, k);
    }
    this.values.set(k, (this.values.get(k) ?? 0) + 1);
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const [k, v] of this.values) lines.push(`${this.name}${k ? `{${k}}` : ''} ${v}`);
    return lines.join('\n');
  }
}

class Gauge {
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly read: () => number | Promise<number>,
  ) {}
  async render(): Promise<string> {
    return `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} gauge\n${this.name} ${await this.read()}`;
  }
}

class Histogram {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly buckets: number[],
  ) {
    this.counts = buckets.map(() => 0);
  }
  observe(value: number): void {
    this.sum += value;
    this.count++;
    this.buckets.forEach((b, i) => {
      if (value <= b) this.counts[i] = (this.counts[i] ?? 0) + 1;
    });
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [i, b] of this.buckets.entries()) lines.push(`${this.name}_bucket{le="${b}"} ${this.counts[i]}`);
    lines.push(
      `${this.name}_bucket{le="+Inf"} ${this.count}`,
      `${this.name}_sum ${this.sum}`,
      `${this.name}_count ${this.count}`,
    );
    return lines.join('\n');
  }
}

export class Metrics {
  readonly httpRequests = new Counter('callflow_http_requests_total', 'HTTP requests answered, by route and status', [
    'method',
    'route',
    'status',
  ]);
  readonly eventsApplied = new Counter('callflow_events_applied_total', 'Events applied to calls, by type and source', [
    'type',
    'source',
  ]);
  readonly callsCreated = new Counter('callflow_calls_created_total', 'Calls created');
  readonly commitBatch = new Histogram(
    'callflow_commit_batch_size',
    'Changes per store transaction',
    [1, 2, 5, 10, 25, 50, 100, 250, 500],
  );
  readonly commitSeconds = new Histogram(
    'callflow_commit_seconds',
    'Time to write one batch',
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
  );
  readonly timerLateness = new Histogram(
    'callflow_timer_lateness_seconds',
    'How late a timer fired after its due time',
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30],
  );
  private readonly gauges: Gauge[] = [];
  /** Metric families owned by a capability (the telephony adapters, src/adapters/metrics.ts). */
  private readonly extra: { render(): string | Promise<string> }[] = [];

  /** Adds a metric family rendered after the built-in ones. */
  add(family: { render(): string | Promise<string> }): void {
    this.extra.push(family);
  }

  gauge(name: string, help: string, read: () => number | Promise<number>): void {
    this.gauges.push(new Gauge(name, help, read));
  }

  async render(): Promise<string> {
    const memory = process.memoryUsage();
    const parts = [
      this.httpRequests.render(),
      this.eventsApplied.render(),
      this.callsCreated.render(),
      this.commitBatch.render(),
      this.commitSeconds.render(),
      this.timerLateness.render(),
      ...(await Promise.all(this.gauges.map((g) => g.render()))),
      ...(await Promise.all(this.extra.map((family) => family.render()))),
      `# HELP process_resident_memory_bytes Resident memory\n# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes ${memory.rss}`,
      `# HELP nodejs_heap_used_bytes V8 heap in use\n# TYPE nodejs_heap_used_bytes gauge\nnodejs_heap_used_bytes ${memory.heapUsed}`,
    ];
    return `${parts.join('\n')}\n`;
  }
}
