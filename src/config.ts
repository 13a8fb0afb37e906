/** Configuration from the environment (SPEC §4), validated once at start-up. */
import type { CallLimits } from '../machines/call.machine.js';

export interface Config {
  port: number;
  host: string;
  databaseUrl: string;
  limits: CallLimits;
  logLevel: string;
  apiTokens: string[];
  /** SQLite `synchronous`: NORMAL survives kill -9 in WAL mode; FULL also survives power loss. */
  sqliteSynchronous: 'NORMAL' | 'FULL';
  /** How many calls the service keeps decoded in memory (least recently used are dropped). */
  callCacheSize: number;
  /** WebSocket URL of an XState inspector (@statelyai/inspect); unset: no inspection. */
  inspectUrl: string | null;
  /** SSE keep-alive comment interval. */
  keepAliveMs: number;
}

export class ConfigError extends Error {}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function positive(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || value > 86_400) {
    throw new ConfigError(`${name} must be a number of seconds above 0 (fractions allowed), got "${raw}"`);
  }
  return value;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const databaseUrl = env.DATABASE_URL || 'sqlite:./data/callflow.db';
  if (!/^(sqlite:.+|postgres(ql)?:\/\/.+)$/.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must be sqlite:PATH, sqlite::memory: or postgres://...');
  }
  const logLevel = env.LOG_LEVEL || 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  const synchronous = (env.SQLITE_SYNCHRONOUS || 'NORMAL').toUpperCase();
  if (synchronous !== 'NORMAL' && synchronous !== 'FULL')
    throw new ConfigError('SQLITE_SYNCHRONOUS must be NORMAL or FULL');
  return {
    port: integer(env, 'PORT', 3000, 0, 65_535),
    host: env.HOST || '127.0.0.1',
    databaseUrl,
    limits: {
      maxRepeats: integer(env, 'MAX_REPEATS', 3, 1, 100),
      maxConnectionAttempts: integer(env, 'MAX_CONNECTION_ATTEMPTS', 3, 1, 100),
      holdCheckSeconds: positive(env, 'HOLD_CHECK_SECONDS', 30),
    },
    logLevel,
    apiTokens: (env.API_TOKENS ?? '')
      .split(',')
      .map((token) => token.trim())
      .filter(Boolean),
    sqliteSynchronous: synchronous,
    callCacheSize: integer(env, 'CALL_CACHE_SIZE', 20_000, 0, 10_000_000),
    inspectUrl: env.INSPECT_URL || null,
    keepAliveMs: integer(env, 'SSE_KEEPALIVE_MS', 15_000, 10, 3_600_000),
  };
}
