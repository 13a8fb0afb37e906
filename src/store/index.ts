import type { Config } from '../config.js';
import { openSqliteStore } from './sqlite.js';
import type { CallStore } from './types.js';

/** Opens the store DATABASE_URL names: `sqlite:PATH`, `sqlite::memory:` or `postgres://...`. */
export async function openStore(config: Pick<Config, 'databaseUrl' | 'sqliteSynchronous'>): Promise<CallStore> {
  const url = config.databaseUrl;
  if (url.startsWith('sqlite:')) {
    return await openSqliteStore(url.slice('sqlite:'.length), { synchronous: config.sqliteSynchronous });
  }
  const { openPostgresStore } = await import('./postgres.js');
  return openPostgresStore(url);
}
