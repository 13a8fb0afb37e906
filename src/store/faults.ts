/**
 * The one classification of store errors (SPEC §10, store faults): which errors mean the store
 * cannot serve right now (PostgreSQL unreachable, SQLite unable to write), as opposed to a bug or a
 * bad request. A fault is answered 503 with Retry-After (507 when the disk is full) and marks the
 * store down (health.ts); anything else stays an unexpected error.
 */

export const STORE_FAULT_KINDS = [
  'unreachable',
  'connection-lost',
  'timeout',
  'pool-exhausted',
  'shutdown',
  'resources',
  'disk-full',
  'read-only',
  'io-error',
  'busy',
  'writer-down',
] as const;

/** A kind is a metric label value and a log field: a short fixed word, never a message. */
export type StoreFaultKind = (typeof STORE_FAULT_KINDS)[number];

/** The SQLite writer thread is gone (it is restarted at once); set on the errors it causes. */
export const WRITER_DOWN = 'CALLFLOW_SQLITE_WRITER_DOWN';

const NODE_CODES: Record<string, StoreFaultKind> = {
  ECONNREFUSED: 'unreachable',
  ENOTFOUND: 'unreachable',
  EAI_AGAIN: 'unreachable',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  EHOSTDOWN: 'unreachable',
  ECONNRESET: 'connection-lost',
  ECONNABORTED: 'connection-lost',
  EPIPE: 'connection-lost',
  ETIMEDOUT: 'timeout',
  [WRITER_DOWN]: 'writer-down',
};

/** PostgreSQL SQLSTATEs (Appendix A of its manual) that are about the server, not the query. */
const SQLSTATES: Record<string, StoreFaultKind> = {
  '57P01': 'shutdown', // admin_shutdown: pg_ctl stop, a failover
  '57P02': 'shutdown', // crash_shutdown
  '57P03': 'shutdown', // cannot_connect_now: starting up, recovering
  '53100': 'disk-full',
  '53300': 'pool-exhausted', // too_many_connections: the server's, not our pool's
  '25006': 'read-only', // read_only_sql_transaction: a standby after a failover
  '58030': 'io-error',
};

/** node-postgres reports these without a code (pg 8, pg-pool 3). */
const PG_MESSAGES: [RegExp, StoreFaultKind][] = [
  [/^Connection terminated due to connection timeout/, 'timeout'],
  [/^timeout expired$/, 'timeout'],
  [/^Query read timeout$/, 'timeout'],
  [/^timeout exceeded when trying to connect$/, 'pool-exhausted'],
  [/^Connection terminated( unexpectedly)?$/, 'connection-lost'],
  [/^Client has encountered a connection error and is not queryable$/, 'connection-lost'],
];

/** SQLite result codes; better-sqlite3 reports extended ones (SQLITE_IOERR_WRITE, SQLITE_READONLY_DBMOVED). */
const SQLITE_PREFIXES: [string, StoreFaultKind][] = [
  ['SQLITE_FULL', 'disk-full'],
  ['SQLITE_READONLY', 'read-only'],
  ['SQLITE_IOERR', 'io-error'],
  ['SQLITE_CANTOPEN', 'io-error'],
  // Only after busy_timeout: another process holds the file's write lock.
  ['SQLITE_BUSY', 'busy'],
];

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  errors?: unknown;
}

/** The fault an error stands for, or null for an error that is not the store's state. */
export function classifyStoreError(error: unknown, depth = 0): StoreFaultKind | null {
  if (!error || typeof error !== 'object' || depth > 4) return null;
  const { code, message, cause, errors } = error as ErrorLike;
  if (typeof code === 'string') {
    const kind = NODE_CODES[code] ?? SQLSTATES[code] ?? sqliteKind(code);
    if (kind) return kind;
    // 08xxx: connection exceptions; 53xxx: the server is out of resources.
    if (/^08[0-9A-Z]{3}$/.test(code)) return 'connection-lost';
    if (/^53[0-9A-Z]{3}$/.test(code)) return 'resources';
  }
  if (typeof message === 'string') {
    for (const [pattern, kind] of PG_MESSAGES) if (pattern.test(message)) return kind;
  }
  // A connect to several addresses (localhost: ::1 and 127.0.0.1) fails with an AggregateError.
  if (Array.isArray(errors)) {
    for (const inner of errors) {
      const kind = classifyStoreError(inner, depth + 1);
      if (kind) return kind;
    }
  }
  return classifyStoreError(cause, depth + 1);
}

function sqliteKind(code: string): StoreFaultKind | undefined {
  if (!code.startsWith('SQLITE_')) return undefined;
  return SQLITE_PREFIXES.find(([prefix]) => code === prefix || code.startsWith(`${prefix}_`))?.[1];
}

/** 507 Insufficient Storage for a full disk; 503 Service Unavailable (with Retry-After) otherwise. */
export function statusOf(kind: StoreFaultKind): 503 | 507 {
  return kind === 'disk-full' ? 507 : 503;
}
