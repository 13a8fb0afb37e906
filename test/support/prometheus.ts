/**
 * /metrics read with an independent Prometheus text parser (parse-prometheus-text-format), so a
 * malformed exposition fails the test instead of a hand-written regex agreeing with it.
 */
import parse from 'parse-prometheus-text-format';

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

export type Families = Map<string, { type: string; samples: Sample[] }>;

export function parseMetrics(text: string): Families {
  const families: Families = new Map();
  for (const family of parse(text)) {
    families.set(family.name, {
      type: family.type,
      samples: family.metrics.map((m) => ({ labels: m.labels ?? {}, value: Number(m.value) })),
    });
  }
  return families;
}

/** The value of the sample of `name` whose labels include `labels`; 0 when there is none. */
export function sampleValue(families: Families, name: string, labels: Record<string, string> = {}): number {
  const family = families.get(name);
  const sample = family?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return sample?.value ?? 0;
}
