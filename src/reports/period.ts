/**
 * The report's period: `from` and `to` as ISO 8601 dates (YYYY-MM-DD is UTC midnight) or
 * date-times with an offset, checked field by field (Date.parse takes 2026-02-30 as 2 March),
 * from < to, and at most MAX_DAYS long. UTC days are numbered from the epoch (day keys).
 */
import { InvalidQuery } from '../errors.js';

export const DAY_MS = 86_400_000;
/** A leap year and a day: a year's report always fits, whatever its first day. */
export const MAX_DAYS = 367;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:\d{2})$/;

export function parseInstant(name: string, value: string): number {
  const date = DATE.exec(value);
  const dateTime = date ? null : DATE_TIME.exec(value);
  const parts = date ?? dateTime;
  if (!parts) {
    throw new InvalidQuery(
      `query.${name} must be an ISO 8601 date (2026-11-01) or date-time with an offset (2026-11-01T09:00:00Z)`,
    );
  }
  const [year, month, day, hour = 0, minute = 0, second = 0] = parts.slice(1, 7).map((p) => Number(p ?? 0));
  const ms = Number((parts[7] ?? '0').padEnd(3, '0'));
  const utc = Date.UTC(year!, month! - 1, day!, hour, minute, second, ms);
  const check = new Date(Date.UTC(year!, month! - 1, day!));
  if (
    check.getUTCFullYear() !== year ||
    check.getUTCMonth() !== month! - 1 ||
    check.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    throw new InvalidQuery(`query.${name} is not a valid date: ${value}`);
  }
  const zone = dateTime?.[8];
  if (!zone || zone === 'Z') return utc;
  const sign = zone.startsWith('-') ? -1 : 1;
  const [zh, zm] = zone.slice(1).split(':').map(Number);
  if (zh! > 23 || zm! > 59) throw new InvalidQuery(`query.${name} has an invalid offset: ${value}`);
  return utc - sign * (zh! * 60 + zm!) * 60_000;
}

export function parsePeriod(from: string, to: string): { from: number; to: number } {
  const start = parseInstant('from', from);
  const end = parseInstant('to', to);
  if (start >= end) throw new InvalidQuery('query.from must be before query.to (the period is [from, to))');
  if (end - start > MAX_DAYS * DAY_MS) throw new InvalidQuery(`The period may be at most ${MAX_DAYS} days long`);
  return { from: start, to: end };
}

export const dayNumber = (ms: number) => Math.floor(ms / DAY_MS);
export const dayKey = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);
