/**
 * A webhook receiver for tests: a real HTTP server on 127.0.0.1 that verifies every delivery
 * with the reference Standard Webhooks library (`standardwebhooks` on npm, not our own code),
 * records it, and answers as the test says (a status, a delay, headers, or never).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Received {
  id: string;
  timestamp: number;
  signature: string;
  body: string;
  /** The parsed body, after the signature was verified. */
  message: { type: string; timestamp: string; data: Record<string, unknown> };
  /** False when the library refused the signature (the test then fails on `unverified`). */
  verified: boolean;
  at: number;
}

/** What to answer one request: a status (with headers), after `delayMs`; `hang`: never answer. */
export interface Answer {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  delayMs?: number;
  hang?: boolean;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Deliveries the library refused. */
  unverified: Received[];
  /** Sets the signing secret once the endpoint is created (verification needs it). */
  setSecret(secret: string): void;
  /** Answer each request with `answer(request number from 1, the delivery)`. */
  answer(fn: (n: number, delivery: Received) => Answer): void;
  close(): Promise<void>;
}

export async function startReceiver(path = '/hook'): Promise<Receiver> {
  let secret: string | null = null;
  let respond: (n: number, delivery: Received) => Answer = () => ({ status: 204 });
  const received: Received[] = [];
  const unverified: Received[] = [];
  const hanging = new Set<ServerResponse>();
  let count = 0;

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = {
        'webhook-id': String(req.headers['webhook-id'] ?? ''),
        'webhook-timestamp': String(req.headers['webhook-timestamp'] ?? ''),
        'webhook-signature': String(req.headers['webhook-signature'] ?? ''),
      };
      let message: Received['message'] = { type: '', timestamp: '', data: {} };
      let verified = false;
      try {
        if (!secret) throw new Error('no secret set');
        message = new Webhook(secret).verify(body, headers) as Received['message'];
        verified = true;
      } catch {
        verified = false;
      }
      const delivery: Received = {
        id: headers['webhook-id'],
        timestamp: Number(headers['webhook-timestamp']),
        signature: headers['webhook-signature'],
        body,
        message,
        verified,
        at: Date.now(),
      };
      (verified ? received : unverified).push(delivery);
      const answer = respond(++count, delivery);
      if (answer.hang) {
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      }
      const send = () => {
        res.writeHead(answer.status ?? 204, answer.headers ?? {});
        res.end(answer.body);
      };
      if (answer.delayMs) setTimeout(send, answer.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    received,
    unverified,
    setSecret(value) {
      secret = value;
    },
    answer(fn) {
      respond = fn;
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
