/**
 * Start-up with a store that is not there yet (SPEC §10): a compose file or a Kubernetes pod
 * starts the service and PostgreSQL together, so an unreachable server is retried with backoff
 * for up to STORE_CONNECT_TIMEOUT_SECONDS, with one log line while waiting. Then the service
 * starts, or start-up fails with one line naming the host and port (server.ts exits 1).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { classifyStoreError } from './faults.js';
import type { HealthLog } from './health.js';

/** Start-up could not open the store: the message is one line, naming the server, never a password. */
export class StoreStartError extends Error {}

/** `host:port` of a postgres:// URL (a socket directory in ?host= counts as the host). */
export function describePostgres(url: string): string {
  try {
    const parsed = new URL(url);
    const host = parsed.searchParams.get('host') || parsed.hostname || 'localhost';
    const port = parsed.port || parsed.searchParams.get('port') || '5432';
    return `${host}:${port}`;
  } catch {
    return 'the configured server';
  }
}

export interface WaitOptions {
  /** What is being waited for, for the log and the error: "PostgreSQL at db:5432". */
  target: string;
  deadline: number;
  /** The configured wait, for the message (STORE_CONNECT_TIMEOUT_SECONDS). */
  timeoutSeconds?: number;
  log: HealthLog;
  now?: () => number;
}

/** A server error (a SQLSTATE) or a connection failure, as one line; anything else is a bug and keeps its stack. */
function isStoreError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return classifyStoreError(error) !== null || (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code));
}

/** The error's message on one line (a connect to several addresses fails with an AggregateError and no message). */
function oneLine(error: unknown): string {
  const { message, code } = (error ?? {}) as { message?: unknown; code?: unknown };
  const text = typeof message === 'string' && message ? message : typeof code === 'string' ? code : String(error);
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * Runs `open` until it succeeds, retrying store faults (faults.ts) with backoff until `deadline`.
 * Logs one warning when it first has to wait. A store error that is not a fault (wrong password,
 * no such database) fails at once, as does the last fault at the deadline: a StoreStartError.
 */
export async function untilReachable<T>(open: () => Promise<T>, options: WaitOptions): Promise<T> {
  const now = options.now ?? Date.now;
  const started = now();
  let delay = 250;
  let waited = false;
  for (;;) {
    try {
      const result = await open();
      if (waited) options.log.info({ seconds: (now() - started) / 1000 }, `${options.target} is reachable`);
      return result;
    } catch (error) {
      if (!isStoreError(error)) throw error;
      const kind = classifyStoreError(error);
      const left = options.deadline - now();
      if (!kind || left <= 0) {
        const seconds = options.timeoutSeconds ?? Math.round((now() - started) / 100) / 10;
        throw new StoreStartError(
          kind
            ? `${options.target} did not answer within ${seconds} s (${oneLine(error)})`
            : `cannot open ${options.target}: ${oneLine(error)}`,
          { cause: error },
        );
      }
      if (!waited) {
        waited = true;
        options.log.warn(
          { storeFault: kind, waitSeconds: Math.round(left / 100) / 10 },
          `waiting for ${options.target} (${kind}), for up to ${Math.round(left / 100) / 10} s`,
        );
      }
      await sleep(Math.min(delay, left));
      delay = Math.min(delay * 2, 5_000);
    }
  }
}
