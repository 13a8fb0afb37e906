/**
 * A bound, not a product: what the event path could reach here with no durability at all. A
 * bare Fastify route (as the echo) that applies the event to the call's statechart with the
 * service's own runtime and answers the call view; calls live in a Map. No store, no per-call
 * queue, no schemas, hooks or logging. Its ratio against the echo is an upper limit for the
 * real path, which also commits every event before answering.
 */
import Fastify from 'fastify';
import { type CallEventType, toMachineEvent } from '../machines/call.events.js';
import { type CallSnapshot, createCallRuntime } from '../machines/call.runtime.js';
import { CATALOGUES } from '../machines/catalogue.js';
import { buildView } from '../src/calls/view.js';

const runtime = createCallRuntime();
const calls = new Map<string, { snapshot: CallSnapshot; version: number }>();
const app = Fastify({ logger: false });

app.post('/v1/calls', async (request, reply) => {
  const { callId, customer } = request.body as { callId: string; customer?: { firstName: string } };
  calls.set(callId, { snapshot: runtime.start({ customer: customer ?? null }).snapshot, version: 0 });
  return reply.code(201).send({ callId });
});

app.post('/v1/calls/:callId/events', async (request, reply) => {
  const { callId } = request.params as { callId: string };
  const call = calls.get(callId);
  const body = request.body as { type: CallEventType; data?: Record<string, unknown> };
  const event = toMachineEvent(body.type, body.data ?? {});
  if (!call || !runtime.allows(call.snapshot, event)) return reply.code(409).send({ status: 409 });
  const step = runtime.apply(call.snapshot, event);
  call.snapshot = step.snapshot;
  call.version++;
  const snapshot = runtime.persist(step.snapshot);
  return buildView(
    {
      callId,
      status: step.snapshot.status === 'active' ? 'active' : 'ended',
      version: call.version,
      locale: 'ru',
      snapshot,
      prompts: step.prompts,
      actions: step.effects,
      timers: [],
      operatorId: null,
      scriptVersion: 1,
    },
    runtime.allowedEventsOf(snapshot),
    CATALOGUES,
  );
});

app.get('/healthz', async () => ({ status: 'ok' }));

await app.listen({ port: Number(process.env.PORT ?? 3100), host: process.env.HOST ?? '127.0.0.1' });
const stop = () => {
  void app.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
