/** A small Prometheus text-format registry: counters, gauges and histograms, no dependencies. */

type Labels = Record<string, string>;

const key = (labels: Labels) =>
  Object.entries(labels)
    .map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`)
    .join(',');

class Counter {
  private readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels: Labels = {}, by = 1): void {
    const k = key(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  /** inc() for two or three labels on a hot path (every request, every event): the label text
   *  is built once per distinct combination, not per call. */
  inc2(n1: string, v1: string, n2: string, v2: string): void {
    this.incCached(`${n1}\u0000${v1}\u0000${n2}\u0000${v2}`, () => ({ [n1]: v1, [n2]: v2 }));
  }
  inc3(n1: string, v1: string, n2: string, v2: string, n3: string, v3: string | number): void {
    this.incCached(`${n1}\u0000${v1}\u0000${n2}\u0000${v2}\u0000${n3}\u0000${v3}`, () => ({
      [n1]: v1,
      [n2]: v2,
      [n3]: String(v3),
    }));
  }
  private incCached(id: string, labels: () => Labels): void {
    let k = this.keys.get(id);
    if (k === undefined) {
      k = key(labels());
      this.keys.set(id, k);
    }
    this.values.set(k, (this.values.get(k) ?? 0) + 1);
  }
  private readonly keys = new Map<string, string>();
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
  readonly httpRequests = new Counter('callflow_http_requests_total', 'HTTP requests answered, by route and status');
  readonly eventsApplied = new Counter('callflow_events_applied_total', 'Events applied to calls, by type and source');
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
      `# HELP process_resident_memory_bytes Resident memory\n# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes ${memory.rss}`,
      `# HELP nodejs_heap_used_bytes V8 heap in use\n# TYPE nodejs_heap_used_bytes gauge\nnodejs_heap_used_bytes ${memory.heapUsed}`,
    ];
    return `${parts.join('\n')}\n`;
  }
}
