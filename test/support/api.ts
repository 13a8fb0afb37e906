/**
 * Helpers for the API tests: requests through app.inject or a real socket, the RFC 9457
 * problem check, polling with a deadline, and a small Server-Sent Events reader.
 */
import { expect } from 'vitest';
import { post, type TestApp } from './app.js';

/** The keys SPEC §3 lists for a call view (the service may add more). */
export const VIEW_KEYS = [
  'callId',
  'status',
  'state',
  'version',
  'customer',
  'prompts',
  'allowedEvents',
  'counters',
  'timers',
  'actions',
  'endReason',
] as const;

export const HISTORY_KEYS = ['seq', 'id', 'type', 'data', 'source', 'at', 'state', 'prompts'] as const;

export const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export interface Prompt {
  key: string;
  text: string;
  instruction: string | null;
}

export interface View {
  callId: string;
  status: 'active' | 'ended';
  state: string | string[];
  version: number;
  customer: { firstName: string; patronymic?: string } | null;
  prompts: Prompt[];
  allowedEvents: string[];
  counters: { repeats: number; connectionAttempts: number; warnings: number };
  timers: { name: string; dueAt: string }[];
  actions: { type: string; topic?: string }[];
  endReason: string | null;
  replayed?: boolean;
  [extra: string]: unknown;
}

export interface HistoryEvent {
  seq: number;
  id: string | null;
  type: string;
  data: Record<string, unknown>;
  source: 'api' | 'timer';
  at: string;
  state: string | string[];
  prompts: Prompt[];
  [extra: string]: unknown;
}

export interface EventBody {
  type: string;
  id?: string;
  data?: Record<string, unknown>;
}

let counter = 0;
/** A call id no other test in this process uses. */
export function uniqueId(prefix = 'call'): string {
  counter += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

export async function createCall(app: TestApp, body: Record<string, unknown>): Promise<View> {
  const res = await post(app, '/v1/calls', body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as View;
}

export async function newCall(app: TestApp, extra: Record<string, unknown> = {}): Promise<View> {
  return createCall(app, { callId: uniqueId(), ...extra });
}

/** POST an event through inject; returns the raw response. */
export function sendEvent(app: TestApp, callId: string, body: EventBody | Record<string, unknown>) {
  return post(app, `/v1/calls/${encodeURIComponent(callId)}/events`, body);
}

/** POST an event that must be applied (200); returns the view. */
export async function apply(app: TestApp, callId: string, body: EventBody): Promise<View> {
  const res = await sendEvent(app, callId, body);
  expect(res.statusCode, `${body.type}: ${res.body}`).toBe(200);
  return res.json() as View;
}

/** Applies each event in turn (200 each); returns the last view. */
export async function applyAll(app: TestApp, callId: string, events: (EventBody | string)[]): Promise<View> {
  let view: View | undefined;
  for (const e of events) view = await apply(app, callId, typeof e === 'string' ? { type: e } : e);
  if (!view) throw new Error('applyAll: no events');
  return view;
}

export async function getView(app: TestApp, callId: string): Promise<View> {
  const res = await app.inject({ method: 'GET', url: `/v1/calls/${encodeURIComponent(callId)}` });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as View;
}

export async function getHistory(app: TestApp, callId: string): Promise<HistoryEvent[]> {
  const res = await app.inject({ method: 'GET', url: `/v1/calls/${encodeURIComponent(callId)}/history` });
  expect(res.statusCode, res.body).toBe(200);
  const body = res.json() as { callId: string; events: HistoryEvent[] };
  expect(body.callId).toBe(callId);
  return body.events;
}

interface ResponseLike {
  statusCode?: number;
  status?: number;
  headers: Record<string, unknown> | Headers;
}

function headerOf(res: ResponseLike, name: string): string {
  if (res.headers instanceof Headers) return res.headers.get(name) ?? '';
  const value = (res.headers as Record<string, unknown>)[name];
  return Array.isArray(value) ? String(value[0]) : String(value ?? '');
}

/**
 * An RFC 9457 problem with the given status: problem+json content type, and `type`, `title`,
 * `status` (equal to the HTTP status) and a non-empty `detail`.
 */
export function expectProblem(res: ResponseLike, body: unknown, status: number): Record<string, unknown> {
  const httpStatus = res.statusCode ?? res.status;
  expect(httpStatus, JSON.stringify(body)).toBe(status);
  expect(headerOf(res, 'content-type')).toMatch(/^application\/problem\+json\b/);
  const problem = body as Record<string, unknown>;
  expect(problem).toMatchObject({ status });
  expect(typeof problem.type, 'problem.type').toBe('string');
  expect(problem.type).not.toBe('');
  expect(typeof problem.title, 'problem.title').toBe('string');
  expect(problem.title).not.toBe('');
  expect(typeof problem.detail, 'problem.detail').toBe('string');
  expect(problem.detail).not.toBe('');
  return problem;
}

/** inject response -> checked problem body. */
export function problemOf(
  res: { statusCode: number; headers: Record<string, unknown>; json(): unknown },
  status: number,
) {
  return expectProblem(res, res.json(), status);
}

/** Polls `probe` until it returns something truthy; fails with `message` at the deadline. */
export async function until<T>(
  probe: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  options: { timeoutMs?: number; intervalMs?: number; message?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 5_000);
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`${options.message ?? 'condition not met'} (last: ${String(last)})`);
    }
    await sleep(options.intervalMs ?? 20);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** POST JSON to a real server with fetch. */
export function postJson(base: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

export interface SseMessage {
  id: string | null;
  event: string;
  data: string;
}

/**
 * A Server-Sent Events reader over fetch: collects messages and comment lines as they come.
 * `next` waits (with a deadline) for a message matching a predicate.
 */
export class SseReader {
  readonly messages: SseMessage[] = [];
  readonly comments: string[] = [];
  status = 0;
  contentType = '';
  private readonly controller = new AbortController();
  private buffer = '';
  private waiters: (() => void)[] = [];
  private done = false;

  static async open(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
    const reader = new SseReader();
    const res = await fetch(url, {
      headers: { accept: 'text/event-stream', ...headers },
      signal: reader.controller.signal,
    });
    reader.status = res.status;
    reader.contentType = res.headers.get('content-type') ?? '';
    if (res.body) void reader.pump(res.body);
    return reader;
  }

  private async pump(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
        this.buffer += decoder.decode(chunk, { stream: true });
        this.parse();
        this.notify();
      }
    } catch {
      // aborted
    } finally {
      this.done = true;
      this.notify();
    }
  }

  private parse(): void {
    for (;;) {
      const end = this.buffer.indexOf('\n\n');
      if (end < 0) return;
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      let id: string | null = null;
      let event = 'message';
      const data: string[] = [];
      let isMessage = false;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) {
          this.comments.push(line.slice(1).trim());
          continue;
        }
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'id') id = value;
        else if (field === 'event') event = value;
        else if (field === 'data') {
          data.push(value);
          isMessage = true;
        }
      }
      if (isMessage) this.messages.push({ id, event, data: data.join('\n') });
    }
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Views of the `call` messages so far. */
  views(): View[] {
    return this.messages.filter((m) => m.event === 'call').map((m) => JSON.parse(m.data) as View);
  }

  /** Waits until `predicate` holds over what has arrived. */
  async waitFor(
    predicate: (reader: SseReader) => boolean,
    timeoutMs = 5_000,
    what = 'stream condition',
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this)) {
      if (this.done) throw new Error(`stream ended before ${what}`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.messages.map((m) => m.id))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.controller.abort();
  }
}
