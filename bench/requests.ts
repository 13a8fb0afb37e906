/**
 * The benchmark's event requests, identical for the echo baseline and the real service:
 * spread round-robin over `calls` active calls, each call cycling through three events that
 * are always allowed and never end it, each request with its own idempotency key, and every
 * body padded to the same byte length.
 */

export const EVENT_BODY_BYTES = 160;

/** The benchmark's events, always allowed and never ending a call (memory-child.ts uses them too). */
export const EVENTS = [
  { type: 'customer.location-question' },
  { type: 'customer.no-card' },
  { type: 'customer.identified', data: { firstName: 'Иван', patronymic: 'Петрович' } },
] as const;

export function callId(prefix: string, index: number): string {
  return `${prefix}-${String(index).padStart(6, '0')}`;
}

export function eventPath(id: string): string {
  return `/v1/calls/${encodeURIComponent(id)}/events`;
}

/** Event body number `n` (0, 1, 2, ...): `{type, id, data?}` of exactly EVENT_BODY_BYTES bytes. */
export function eventBody(tag: string, n: number, kind: number): string {
  const event = EVENTS[kind % EVENTS.length]!;
  const key = `${tag}-${n}`;
  const body = JSON.stringify({ type: event.type, id: key, ...('data' in event ? { data: event.data } : {}) });
  const pad = EVENT_BODY_BYTES - Buffer.byteLength(body);
  if (pad < 0) throw new Error(`event body over ${EVENT_BODY_BYTES} bytes: ${body}`);
  return body.replace(`"${key}"`, `"${key}${'_'.repeat(pad)}"`);
}

export interface EventStream {
  /** The next request: which call, which body. */
  next(): { path: string; body: string };
  readonly sent: number;
}

/**
 * Request n goes to call n mod `calls` and is that call's (n div `calls`)-th event, so with
 * fewer connections than calls no two requests in flight ever target the same call.
 */
export function eventStream(options: { prefix: string; calls: number; tag: string }): EventStream {
  let n = 0;
  const paths = Array.from({ length: options.calls }, (_, i) => eventPath(callId(options.prefix, i)));
  return {
    next() {
      const i = n++;
      const call = i % options.calls;
      return { path: paths[call]!, body: eventBody(options.tag, i, Math.floor(i / options.calls)) };
    },
    get sent() {
      return n;
    },
  };
}
