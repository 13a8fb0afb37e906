/**
 * Server-Sent Events plumbing for a hijacked reply: headers, the retry hint, keep-alive comments,
 * backpressure (a slow client is sent nothing more until it has taken what was written), and one
 * close for the client's disconnect and the server's shutdown alike.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { recordRequest } from '../plugins/request-log.js';

export interface SseConnection {
  /** Aborted when the client goes or the server closes the stream. */
  signal: AbortSignal;
  /** Writes one event; resolves once the socket can take more. */
  send(frame: { id?: string | number; event: string; data: unknown }): Promise<void>;
  close(): void;
}

/** Takes the reply over and opens the stream; `registry` holds the closers of open streams (shutdown). */
export function openSse(
  request: FastifyRequest,
  reply: FastifyReply,
  options: { keepAliveMs: number; registry: Set<() => void> },
): SseConnection {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  raw.write('retry: 2000\n\n');
  const keepAlive = setInterval(() => raw.write(': keep-alive\n\n'), options.keepAliveMs);
  const openedAt = performance.now();
  const ended = new AbortController();
  const close = () => {
    if (ended.signal.aborted) return;
    ended.abort();
    clearInterval(keepAlive);
    options.registry.delete(close);
    raw.end();
    recordRequest(request, 200, performance.now() - openedAt);
  };
  options.registry.add(close);
  request.raw.on('close', close);
  return {
    signal: ended.signal,
    async send({ id, event, data }) {
      if (ended.signal.aborted) return;
      const frame = `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
      if (!raw.write(frame)) await waitForDrain(raw, ended.signal);
    },
    close,
  };
}

function waitForDrain(raw: ServerResponse, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      raw.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    raw.once('drain', done);
    signal.addEventListener('abort', done);
  });
}
