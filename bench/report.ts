/** The printed table: plain text, fixed columns, targets beside the figures they judge. */
import type { Spread } from './stats.js';

export type Row = string[];

export function table(header: Row, rows: Row[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: Row) =>
    r
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function num(value: number | null | undefined, digits = 0): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '-';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** `median [min-max]`, or just the value when there was one measurement. */
export function spreadText(s: Spread, digits = 0): string {
  if (s.n === 0) return '-';
  if (s.n === 1 || s.min === s.max) return num(s.median, digits);
  return `${num(s.median, digits)} [${num(s.min, digits)}-${num(s.max, digits)}]`;
}

export function verdict(ok: boolean | null): string {
  return ok === null ? '' : ok ? 'ok' : 'MISS';
}
