/** What every telephony adapter shares: names, outcomes, and the action a PBX event becomes. */
import type { CreateCallInput, EventInput } from '../calls/service.js';

export const ADAPTER_NAMES = ['asterisk', 'freeswitch'] as const;
export type AdapterName = (typeof ADAPTER_NAMES)[number];

/**
 * What became of one PBX event (the `outcome` label of callflow_adapter_events_total).
 * Only `applied` changed something; every other outcome is an event ignored.
 */
export const OUTCOMES = [
  'applied', // a call created or an event applied
  'duplicate', // the same event again (a replay after a reconnect, a double post): nothing changed
  'not_a_call', // the channel is no call of ours (an operator's leg, an outbound leg, an unknown channel)
  'not_allowed', // the script does not allow it now (an unhold when not on hold, talking while not on hold)
  'ended', // the call has ended (the second and third of Asterisk's three hangup events)
  'conflict', // the same idempotency key or call id with another body
  'unmapped', // a known PBX event type that means nothing to the script
  'unknown_type', // a type the PBX's model does not have
  'malformed', // not JSON, or a known type without the fields its model requires
  'failed', // the store kept failing; the event was given up after retries (logged as an error)
] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** A PBX event translated: create a call, or apply one event to the first candidate that is a call. */
export type CallAction =
  | { kind: 'create'; call: CreateCallInput }
  | {
      kind: 'event';
      /** The raising channel first, then the channels that share a call with it (the operator's leg
       *  raises the hold of the customer's call). */
      candidates: string[];
      event: EventInput & { id: string };
    };

/** One PBX event after mapping: its counter label, and the action or the reason there is none. */
export type Mapped =
  | { type: string; action: CallAction }
  | { type: string; action: null; outcome: Exclude<Outcome, 'applied' | 'duplicate' | 'failed'> };
