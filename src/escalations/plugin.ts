/**
 * The escalations capability, wired: the service as `app.escalations`, its part of every call
 * change, other nodes' changes from the store's notifications, and its metrics.
 */
import fp from 'fastify-plugin';
import { escalationMetrics } from './metrics.js';
import { ESCALATION_CHANNEL, type EscalationOutbox, EscalationService } from './service.js';

declare module 'fastify' {
  interface FastifyInstance {
    escalations: EscalationService;
  }
}

export interface EscalationPluginOptions {
  /** The clock of the transitions (tests). */
  now?: () => number;
  /** Webhook messages of escalation changes (src/webhooks), when that capability is there. */
  outbox?: EscalationOutbox | null;
}

export default fp<EscalationPluginOptions>(
  async (app, options) => {
    let service: EscalationService | null = null;
    const metrics = escalationMetrics(app.metrics, () => service?.countOpen() ?? Promise.resolve(0));
    service = new EscalationService(app.store, { now: options.now, metrics, outbox: options.outbox ?? null });
    const escalations = service;
    app.calls.contribute(({ change }) => escalations.contribute(change));
    // Another node's change (its trigger's notification), or a reconnection that may have missed some.
    const unlisten = await app.store.listen(ESCALATION_CHANNEL, () => escalations.changed());
    app.addHook('onClose', async () => unlisten());
    app.decorate('escalations', escalations);
  },
  { name: 'callflow-escalations', dependencies: ['callflow-core'] },
);
