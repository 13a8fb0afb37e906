/**
 * The baseline: a bare Fastify route that parses the JSON body and sends it back. No logging,
 * no schema, no store: the HTTP ceiling of this machine for the benchmark's exact requests
 * (same path, same bodies) as measured by the same load generator.
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false });

app.post('/v1/calls/:callId/events', async (request) => request.body);
app.get('/healthz', async () => ({ status: 'ok' }));

const port = Number(process.env.PORT ?? 3100);
await app.listen({ port, host: process.env.HOST ?? '127.0.0.1' });

const stop = () => {
  void app.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
