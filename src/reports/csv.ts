/**
 * The adherence report as CSV (RFC 4180, csv-stringify): a header row, one row per group, then
 * the totals. The first column says which (`group` or `totals`), so no key can be mistaken for the
 * totals row; `ended.<reason>` is one column per end reason. The numbers are the JSON answer's.
 */
import { stringify } from 'csv-stringify/sync';
import type { AdherenceFigures, AdherenceReport } from './schema.js';

const FIGURES = [
  'holds',
  'holdChecks',
  'longestHoldSeconds',
  'repeatAnswers',
  'repeatLimits',
  'connectionLost',
  'profanityWarnings',
  'profanityTerminations',
  'escalations',
  'skippedContacts',
] as const satisfies readonly (keyof AdherenceFigures)[];

export function adherenceCsv(report: AdherenceReport): string {
  // Every reason that appears anywhere (the known ones always do).
  const reasons = Object.keys(report.totals.ended);
  const header = ['row', 'key', 'calls', ...reasons.map((r) => `ended.${r}`), ...FIGURES];
  const line = (row: string, key: string | null, f: AdherenceFigures) => [
    row,
    key ?? '',
    f.calls,
    ...reasons.map((r) => f.ended[r] ?? 0),
    ...FIGURES.map((name) => f[name]),
  ];
  return stringify(
    [header, ...report.groups.map(({ key, ...f }) => line('group', key, f)), line('totals', null, report.totals)],
    // A spreadsheet runs a cell that starts with = + - @ as a formula: csv-stringify prefixes
    // such text cells with ' (an operatorId may start with "-"); numbers are left as they are.
    { escape_formulas: true, record_delimiter: '\r\n' },
  );
}
