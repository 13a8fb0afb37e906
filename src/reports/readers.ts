/**
 * Where the report's SQL runs for a DATABASE_URL: a reader thread on a SQLite file
 * (sqlite-reader.ts), a pool of its own on PostgreSQL (postgres-reader.ts); null for an
 * in-memory SQLite database, whose reports run on the store (no other connection can see it).
 */
import { PostgresReportReader } from './postgres-reader.js';
import { type ReportQueries, SqliteReportReader } from './sqlite-reader.js';

export function reportReaderFor(databaseUrl: string): (ReportQueries & { close(): Promise<void> }) | null {
  if (databaseUrl.startsWith('sqlite:')) {
    const location = databaseUrl.slice('sqlite:'.length);
    return location === ':memory:' ? null : new SqliteReportReader(location);
  }
  return new PostgresReportReader(databaseUrl);
}
