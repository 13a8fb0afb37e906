/**
 * The adherence report's statements on PostgreSQL run on a small pool of their own: a report
 * never takes a connection the event path waits for, and its sessions run with JIT off. The
 * report is one large aggregate whose cost estimate starts PostgreSQL's JIT compiler, which spent
 * 1.3-2.1 s compiling against 0.4-0.7 s of execution at 30,000 calls (EXPLAIN ANALYZE); with JIT
 * off the report took 0.65 s instead of 2-2.5 s. A statement timeout bounds a runaway period.
 */
import pg from 'pg';
import { numbered } from '../store/postgres.js';
import type { Row, SqlValue } from '../store/types.js';
import type { ReportQueries } from './sqlite-reader.js';

/** bigint (count(*)) as a JS number, as the store reads it. */
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === pg.types.builtins.INT8
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

export class PostgresReportReader implements ReportQueries {
  private readonly pool: pg.Pool;

  constructor(url: string, options: { statementTimeoutMs?: number } = {}) {
    this.pool = new pg.Pool({
      connectionString: url,
      types,
      application_name: 'callflow-reports',
      options: `-c jit=off -c statement_timeout=${options.statementTimeoutMs ?? 120_000}`,
      max: 2,
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: 10_000,
      keepAlive: true,
    });
    // An idle connection that dies is dropped by the pool; unhandled, the event would crash the process.
    this.pool.on('error', () => {});
  }

  async query(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    return (await this.pool.query(numbered(sql), [...params])).rows;
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
