import type { Config } from '../config.js';
import { describePostgres, untilReachable } from './connect.js';
import type { HealthLog } from './health.js';
import { openSqliteStore } from './sqlite.js';
import type { CallStore } from './types.js';

export interface OpenOptions {
  /** Start-up's log: one line while PostgreSQL is waited for. */
  log: HealthLog;
  /** Until when an unreachable PostgreSQL is waited for (epoch ms); default: no waiting. */
  deadline?: number;
  /** The configured wait, for the message when it runs out. */
  timeoutSeconds?: number;
}

/** Opens the store DATABASE_URL names: `sqlite:PATH`, `sqlite::memory:` or `postgres://...`. */
export async function openStore(
  config: Pick<Config, 'databaseUrl' | 'sqliteSynchronous'>,
  options: OpenOptions = { log: { warn() {}, info() {} } },
): Promise<CallStore> {
  const url = config.databaseUrl;
  if (url.startsWith('sqlite:')) {
    return await openSqliteStore(url.slice('sqlite:'.length), { synchronous: config.sqliteSynchronous });
  }
  const { openPostgresStore } = await import('./postgres.js');
  return untilReachable(() => openPostgresStore(url), {
    target: `PostgreSQL at ${describePostgres(url)}`,
    deadline: options.deadline ?? Date.now(),
    ...(options.timeoutSeconds === undefined ? {} : { timeoutSeconds: options.timeoutSeconds }),
    log: options.log,
  });
}
