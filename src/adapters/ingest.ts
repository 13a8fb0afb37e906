/**
 * Where mapped PBX events enter the call service, through its one event path (create / applyEvent),
 * and where every PBX event is counted. The service's refusals that mean "not for us now" become
 * outcomes; anything else (the store failing) is thrown to the caller, which retries or answers 5xx.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { CallService } from '../calls/service.js';
import { CallEnded, CallExists, CallNotFound, EventNotAllowed, IdempotencyConflict } from '../errors.js';
import type { Metrics } from '../metrics.js';
import type { AdapterCounters } from './metrics.js';
import type { AdapterName, CallAction, Mapped, Outcome } from './types.js';

export class AdapterIngest {
  constructor(
    private readonly calls: CallService,
    private readonly counters: AdapterCounters,
    private readonly metrics: Metrics,
    readonly log: FastifyBaseLogger,
  ) {}

  /** Applies a mapped event and counts its outcome. */
  async apply(adapter: AdapterName, mapped: Mapped): Promise<Outcome> {
    const outcome = mapped.action ? await this.run(mapped.action) : mapped.outcome;
    this.counters.event(adapter, mapped.type, outcome);
    return outcome;
  }

  /** Counts an event that never reached mapping (not JSON, no type, required fields missing). */
  malformed(adapter: AdapterName, reason: string): void {
    this.counters.event(adapter, 'malformed', 'malformed');
    // The reason names fields and rules, never values: a frame may carry a customer's name.
    this.log.warn({ adapter, reason }, 'malformed PBX event skipped');
  }

  /** Counts an event given up after the store kept failing. */
  failed(adapter: AdapterName, type: string, error: unknown): void {
    this.counters.event(adapter, type, 'failed');
    this.log.error({ adapter, type, err: error }, 'PBX event given up: the store kept failing');
  }

  private async run(action: CallAction): Promise<Outcome> {
    if (action.kind === 'create') {
      try {
        const { created } = await this.calls.create(action.call);
        if (created) this.metrics.callsCreated.inc();
        return created ? 'applied' : 'duplicate';
      } catch (error) {
        if (error instanceof CallExists) return 'conflict';
        throw error;
      }
    }
    for (const callId of action.candidates) {
      try {
        const { replayed } = await this.calls.applyEvent(callId, action.event);
        return replayed ? 'duplicate' : 'applied';
      } catch (error) {
        if (error instanceof CallNotFound) continue;
        if (error instanceof EventNotAllowed) return 'not_allowed';
        if (error instanceof CallEnded) return 'ended';
        if (error instanceof IdempotencyConflict) return 'conflict';
        throw error;
      }
    }
    return 'not_a_call';
  }
}
