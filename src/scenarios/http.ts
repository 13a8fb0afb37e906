/**
 * A Driver against a running service (`--url`): one new call per scenario run (a unique
 * callId), each step posted as an event with an idempotency key, and `wait` polling the
 * call's history until the timer's firing shows up there, for at most three hold checks.
 */
import { randomBytes } from 'node:crypto';
import type { CallEventType, CustomerName } from '../../machines/call.events.js';
import type { Locale } from '../../machines/catalogue.js';
import type { CallView } from '../calls/view.js';
import type { TimerName } from './format.js';
import type { Driver, StepOutcome } from './run.js';

export interface HttpOptions {
  url: string;
  token?: string;
  /** Per request. */
  requestTimeoutMs?: number;
}

interface Answer {
  status: number;
  body: unknown;
}

interface HistoryItem {
  seq: number;
  type: string;
  source: string;
  state: CallView['state'];
  prompts: CallView['prompts'];
  actions: CallView['actions'];
}

/** A client for one service; `driver()` gives a Driver for one scenario run. */
export class HttpTarget {
  private holdCheckSeconds: number | null = null;

  constructor(private readonly options: HttpOptions) {}

  private async request(method: string, path: string, body?: unknown): Promise<Answer> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    const url = new URL(path, this.options.url.endsWith('/') ? this.options.url : `${this.options.url}/`);
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 15_000),
      });
    } catch (error) {
      const cause = (error as { cause?: { message?: string } }).cause?.message;
      throw new Error(`${method} ${url.pathname}: ${cause ?? (error as Error).message}`);
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: kept as text for the error message
    }
    return { status: res.status, body: parsed };
  }

  private async ok<T>(method: string, path: string, status: number, body?: unknown): Promise<T> {
    const answer = await this.request(method, path, body);
    if (answer.status !== status) throw new Error(`${method} ${path}: ${describe(answer)}`);
    return answer.body as T;
  }

  /** The service's hold check length, from GET /v1/machine (read once). */
  async holdCheck(): Promise<number> {
    if (this.holdCheckSeconds === null) {
      const machine = await this.ok<{ limits?: { holdCheckSeconds?: number } }>('GET', 'v1/machine', 200);
      const seconds = machine.limits?.holdCheckSeconds;
      if (typeof seconds !== 'number' || !(seconds > 0)) throw new Error('GET /v1/machine: no limits.holdCheckSeconds');
      this.holdCheckSeconds = seconds;
    }
    return this.holdCheckSeconds;
  }

  driver(): Driver {
    let callId = '';
    let last: CallView | null = null;
    /** The latest history seq this run has seen: a wait looks for a firing after it. */
    let seen = 0;
    const callPath = () => `v1/calls/${encodeURIComponent(callId)}`;

    return {
      start: async (call: { name: string; customer?: CustomerName; locale?: Locale }) => {
        await this.holdCheck();
        callId = uniqueCallId(call.name);
        const body: Record<string, unknown> = { callId };
        if (call.customer) body.customer = call.customer;
        if (call.locale) body.locale = call.locale;
        last = await this.ok<CallView>('POST', 'v1/calls', 201, body);
        seen = last.version;
        return last;
      },

      event: async (type: CallEventType, data: Record<string, unknown> | undefined, index: number) => {
        const body: Record<string, unknown> = { type, id: `step-${index + 1}` };
        if (data !== undefined) body.data = data;
        const answer = await this.request('POST', `${callPath()}/events`, body);
        if (answer.status === 200) {
          last = answer.body as CallView;
          seen = last.version;
          return { kind: 'applied', observation: last } satisfies StepOutcome;
        }
        const problemType = String((answer.body as { type?: unknown } | null)?.type ?? '');
        if (answer.status === 409 && /\/(event-not-allowed|call-ended)$/.test(problemType)) {
          last = await this.ok<CallView>('GET', callPath(), 200);
          return { kind: 'refused', observation: { ...last, prompts: [], actions: [] }, detail: describe(answer) };
        }
        return { kind: 'error', detail: `POST events: ${describe(answer)}` };
      },

      wait: async (name: TimerName): Promise<StepOutcome> => {
        const view = await this.ok<CallView>('GET', callPath(), 200);
        // A firing since the last step re-arms the check, so a pending timer is the test.
        if (!view.timers.some((t) => t.name === name)) {
          return {
            kind: 'error',
            detail: `no ${name} is pending (state ${JSON.stringify(view.state)}${view.status === 'active' ? '' : ', the call has ended'})`,
          };
        }
        const seconds = await this.holdCheck();
        // Three checks' time, and never under 2 s: a loaded machine or network adds latency.
        const timeoutMs = Math.max(2_000, seconds * 3_000);
        const item = await this.firingAfter(callPath(), name, seen, timeoutMs);
        if (!item) return { kind: 'error', detail: `${name} did not fire within ${timeoutMs / 1000} s` };
        seen = item.seq;
        last = await this.ok<CallView>('GET', callPath(), 200);
        return {
          kind: 'applied',
          observation: { ...last, prompts: item.prompts, state: item.state, actions: item.actions },
        };
      },
    };
  }

  /** The first timer firing of this name after `seq` in the call's history, polled for up to `timeoutMs`. */
  private async firingAfter(path: string, name: string, seq: number, timeoutMs: number): Promise<HistoryItem | null> {
    const deadline = Date.now() + timeoutMs;
    const seconds = this.holdCheckSeconds ?? 1;
    const intervalMs = Math.min(500, Math.max(20, (seconds * 1000) / 20));
    for (;;) {
      const { events } = await this.ok<{ events: HistoryItem[] }>('GET', `${path}/history`, 200);
      const item = events.find((e) => e.seq > seq && e.type === name && e.source === 'timer');
      if (item) return item;
      if (Date.now() >= deadline) return null;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}

/** `scn-<name>-<time>-<random>`: only characters a callId may hold, at most 128 of them. */
export function uniqueCallId(name: string): string {
  const slug =
    name
      .normalize('NFKD')
      .replace(/[^A-Za-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .toLowerCase()
      .slice(0, 60) || 'scenario';
  return `scn-${slug}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

function describe(answer: Answer): string {
  const body = answer.body as { detail?: unknown; title?: unknown } | string | null;
  if (body && typeof body === 'object' && typeof body.detail === 'string') return `${answer.status} ${body.detail}`;
  if (answer.status === 401) return '401 unauthorized (give --token)';
  return `${answer.status} ${typeof body === 'string' ? body.slice(0, 200) : JSON.stringify(body)}`;
}
