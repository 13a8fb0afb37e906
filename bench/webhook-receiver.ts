/**
 * A webhook receiver for the benchmark, in its own process: `RECEIVER_MODE=answer` answers 204
 * at once and records, per message, the time from its change (the body's `timestamp`, the
 * change's time) to the answer; `blackhole` reads the request and never answers (the sender's
 * timeout ends each attempt). GET /stats gives the latencies (ms) and resets them.
 */
import { createServer, type ServerResponse } from 'node:http';

const mode = process.env.RECEIVER_MODE === 'blackhole' ? 'blackhole' : 'answer';
let latencies: number[] = [];
let received = 0;
const hanging = new Set<ServerResponse>();

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/healthz') {
    res.writeHead(200).end('ok');
    return;
  }
  if (req.method === 'GET' && req.url === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ received, latencies }));
    latencies = [];
    received = 0;
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    received++;
    if (mode === 'blackhole') {
      hanging.add(res);
      res.on('close', () => hanging.delete(res));
      return;
    }
    const { timestamp } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { timestamp: string };
    res.writeHead(204).end();
    latencies.push(Date.now() - Date.parse(timestamp));
  });
});

server.listen(Number(process.env.PORT ?? 3200), process.env.HOST ?? '127.0.0.1');

const stop = () => {
  for (const res of hanging) res.destroy();
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
