/** A small keep-alive JSON client for set-up work (creating calls, holds, history, /metrics). */
import { Agent, request } from 'node:http';

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

export interface Reply<T = unknown> {
  status: number;
  body: T;
  text: string;
}

export function call<T = unknown>(base: string, method: string, path: string, body?: unknown): Promise<Reply<T>> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        method,
        hostname: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        headers: payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          if ((res.headers['content-type'] ?? '').includes('json')) parsed = JSON.parse(text);
          resolve({ status: res.statusCode ?? 0, body: parsed as T, text });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Runs `work` over `items` with at most `concurrency` in flight. */
export async function pool<T, R>(items: T[], concurrency: number, work: (item: T, index: number) => Promise<R>) {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!, i);
    }
  });
  await Promise.all(lanes);
  return results;
}

/** Creates `count` calls named by `id(i)`, spread over `bases` (several nodes share one store). */
export async function createCalls(bases: string[], ids: string[]): Promise<number> {
  const started = performance.now();
  await pool(ids, 64, async (callId, i) => {
    const res = await call(bases[i % bases.length]!, 'POST', '/v1/calls', { callId });
    if (res.status !== 201 && res.status !== 200) throw new Error(`create ${callId}: ${res.status} ${res.text}`);
  });
  return (performance.now() - started) / 1000;
}

/** The service's Prometheus text as `name{labels}` -> value. */
export async function metrics(base: string): Promise<Map<string, number>> {
  const res = await call<string>(base, 'GET', '/metrics');
  const values = new Map<string, number>();
  for (const line of res.text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const space = line.lastIndexOf(' ');
    values.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return values;
}

export function close(): void {
  agent.destroy();
}
