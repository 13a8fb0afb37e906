/**
 * Graceful shutdown: in-flight requests finish and their connections close after the answer;
 * new requests get a 503 problem. Without `Connection: close` a keep-alive socket kept
 * server.close waiting until the client dropped it, past the 10 s force-exit.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import fp from 'fastify-plugin';
import { ShuttingDown } from '../errors.js';

export default fp(
  async (app) => {
    let closing = false;
    // Requests in progress per socket. A connection that never sent a request (a browser's
    // preconnect, undici after an aborted fetch) is not "idle" to Node, so server.close() kept
    // waiting for it until the 10 s force-exit (exit code 1); it is closed here instead.
    const inProgress = new Map<Socket, number>();
    app.server.on('connection', (socket: Socket) => {
      inProgress.set(socket, 0);
      socket.once('close', () => inProgress.delete(socket));
    });
    app.server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      const socket = request.socket;
      inProgress.set(socket, (inProgress.get(socket) ?? 0) + 1);
      response.once('close', () => {
        if (inProgress.has(socket)) inProgress.set(socket, Math.max(0, (inProgress.get(socket) ?? 1) - 1));
      });
    });
    app.addHook('preClose', async () => {
      closing = true;
      for (const [socket, requests] of inProgress) if (requests === 0) socket.destroy();
    });
    // Callback hooks, not async ones: these run on every request.
    app.addHook('onRequest', (_request, _reply, done) => {
      done(closing ? new ShuttingDown() : undefined);
    });
    app.addHook('onSend', (_request, reply, payload, done) => {
      if (closing) reply.header('connection', 'close');
      done(null, payload);
    });
  },
  { name: 'callflow-shutdown' },
);
