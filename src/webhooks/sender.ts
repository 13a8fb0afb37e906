/**
 * One HTTP attempt of one message (undici): POST the stored body with its signature headers,
 * answer within the timeout or fail, no redirects followed, the response body read up to 64 KB
 * and dropped. What is kept of a failure is its error code only (TIMEOUT, ECONNREFUSED,
 * PRIVATE_ADDRESS...): never a message text or a body, which could carry anything.
 */
import { performance } from 'node:perf_hooks';
import { Agent } from 'undici';
import { guardedLookup, isPublicAddress, literalAddress } from './address-policy.js';

/** Response bytes read before the rest is dropped (SPEC §7). */
export const MAX_RESPONSE_BYTES = 64 * 1024;

export interface AttemptResult {
  statusCode: number | null;
  error: string | null;
  retryAfter: string | null;
  durationMs: number;
}

export interface SenderOptions {
  timeoutMs: number;
  allowPrivate: boolean;
  /** Connections kept per receiver origin (as many as attempts run at once per endpoint). */
  connectionsPerOrigin: number;
}

export class Sender {
  private readonly agent: Agent;

  constructor(private readonly options: SenderOptions) {
    this.agent = new Agent({
      connections: options.connectionsPerOrigin,
      // Checked on every connection the agent opens: the address it connects to.
      connect: { lookup: guardedLookup(options.allowPrivate), timeout: options.timeoutMs },
      // The attempt's own signal (below) ends it at the timeout; these only back it up.
      headersTimeout: options.timeoutMs + 1000,
      bodyTimeout: options.timeoutMs + 1000,
      keepAliveTimeout: 30_000,
    });
  }

  async attempt(
    url: string,
    headers: Record<string, string>,
    body: string,
    signal?: AbortSignal,
  ): Promise<AttemptResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const target = new URL(url);
    const literal = literalAddress(target);
    // A literal address is connected to without a lookup: the guard above never sees it.
    if (literal && !this.options.allowPrivate && !isPublicAddress(literal)) {
      return { statusCode: null, error: 'PRIVATE_ADDRESS', retryAfter: null, durationMs: 0 };
    }
    // undici's dispatch with a handler of our own: only the status and Retry-After are read, the
    // body is counted and dropped, no stream. 34 against 79 µs of CPU a request with `request`
    // and `body.dump` (warm, 8,000 requests to a local server, docs/adr/0010).
    return new Promise<AttemptResult>((resolve) => {
      let statusCode: number | null = null;
      let retryAfter: string | null = null;
      let bytes = 0;
      let done = false;
      let abortRequest: ((error?: Error) => void) | null = null;
      let abortWanted = false;
      const cancel = () => {
        if (abortRequest) abortRequest(new Error('attempt ended'));
        else abortWanted = true; // still queued for a connection: cut it off when it starts
      };
      const finish = (error: string | null) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onStop);
        resolve({ statusCode, error: statusCode === null ? error : null, retryAfter, durationMs: elapsed() });
      };
      // The status decides: once it came, a timeout, a stop or a body past the cap only ends the
      // connection (undici's headersTimeout and bodyTimeout back this timer up).
      const timer = setTimeout(() => {
        finish('TIMEOUT');
        cancel();
      }, this.options.timeoutMs);
      const onStop = () => {
        finish('ABORTED');
        cancel();
      };
      if (signal?.aborted) {
        onStop();
        return;
      }
      signal?.addEventListener('abort', onStop, { once: true });
      this.agent.dispatch(
        {
          origin: target.origin,
          path: `${target.pathname}${target.search}`,
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'callflow-webhooks', ...headers },
          body,
        },
        {
          onConnect(abort) {
            abortRequest = abort;
            if (abortWanted || done) abort(new Error('attempt ended'));
          },
          onHeaders(status, rawHeaders) {
            statusCode = status;
            retryAfter = rawHeader(rawHeaders, 'retry-after');
            return true;
          },
          onData(chunk) {
            bytes += chunk.length;
            if (bytes > MAX_RESPONSE_BYTES) {
              finish(null);
              cancel();
            }
            return true;
          },
          onComplete() {
            finish(null);
          },
          onError(error) {
            finish(errorCode(error));
          },
        },
      );
    });
  }

  async close(): Promise<void> {
    await this.agent.destroy().catch(() => {});
  }
}

/** A header of a raw list (name, value, name, value...), the first one of that name. */
function rawHeader(raw: Buffer[] | string[] | null, name: string): string | null {
  if (!raw) return null;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (String(raw[i]).toLowerCase() === name) return String(raw[i + 1]);
  }
  return null;
}

/** An error as a code fit for the delivery log: its `code` (or its cause's), else its class name. */
export function errorCode(error: unknown): string {
  for (
    let e = error as { code?: unknown; name?: unknown; cause?: unknown } | undefined, depth = 0;
    e && depth < 3;
    depth++
  ) {
    if (typeof e.code === 'string' && /^[A-Z][A-Z0-9_]{1,40}$/.test(e.code)) return e.code;
    e = e.cause as typeof e;
  }
  const name = (error as { name?: unknown } | undefined)?.name;
  if (name === 'AbortError') return 'ABORTED';
  if (typeof name === 'string' && /^[A-Za-z]{1,40}$/.test(name)) return name.toUpperCase();
  return 'ERROR';
}
