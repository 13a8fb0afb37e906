/**
 * /metrics read with an independent parser of the Prometheus text format
 * (parse-prometheus-text-format, a port of the official Python client's parser): it throws on a
 * line the format does not allow and undoes the escaping of label values.
 */
import parsePrometheusTextFormat, { type ParsedFamily } from 'parse-prometheus-text-format';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Scrape {
  families: Map<string, ParsedFamily>;
  /** Every sample line as written (a histogram's _bucket, _sum and _count lines included). */
  samples: Sample[];
}

export function parseMetrics(text: string): Scrape {
  const families = new Map(parsePrometheusTextFormat(text).map((f) => [f.name, f]));
  // The parser folds a histogram's series into one, losing their labels: read every line on its
  // own by parsing again without the TYPE lines (each sample name is then a family of its own).
  const untyped = text
    .split('\n')
    .filter((line) => !line.startsWith('# TYPE '))
    .join('\n');
  const samples: Sample[] = [];
  for (const family of parsePrometheusTextFormat(untyped)) {
    for (const sample of family.metrics) {
      samples.push({ name: family.name, labels: sample.labels ?? {}, value: Number(sample.value) });
    }
  }
  return { families, samples };
}

/** The value of the one sample with this name and (at least) these labels; 0 when there is none. */
export function sampleValue(scrape: Scrape, name: string, labels: Record<string, string> = {}): number {
  const matching = scrape.samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (matching.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} matches ${matching.length} samples`);
  return matching[0]?.value ?? 0;
}

/** Sums of every sample with this name, by the value of one label. */
export function byLabel(scrape: Scrape, name: string, label: string): Map<string, number> {
  const sums = new Map<string, number>();
  for (const s of scrape.samples) {
    if (s.name !== name || s.labels[label] === undefined) continue;
    sums.set(s.labels[label], (sums.get(s.labels[label]) ?? 0) + s.value);
  }
  return sums;
}
