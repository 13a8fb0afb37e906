/**
 * FreeSWITCH events → call-flow actions (SPEC §9). Idempotency keys:
 * `fs:<Unique-ID>:<Event-Name>:<Event-Date-Timestamp>` (the timestamp in microseconds).
 */
import type { Mapped } from '../types.js';
import { customerFrom, eventKey, isCallId, localeFrom, operatorFrom } from '../validate.js';
import { FS_KNOWN_EVENT_NAMES, type FsEventHeaders, header, isMappedName } from './model.js';

export interface MapOptions {
  onNameDropped(reason: string): void;
}

export function mapFsEvent(event: FsEventHeaders, options: MapOptions): Mapped {
  const name = event['Event-Name'];
  if (!isMappedName(name)) {
    return FS_KNOWN_EVENT_NAMES.has(name)
      ? { type: name, action: null, outcome: 'unmapped' }
      : { type: 'other', action: null, outcome: 'unknown_type' };
  }
  const leg = header(event, 'Unique-ID') as string;
  const id = eventKey(['fs', leg, name, header(event, 'Event-Date-Timestamp') as string]);

  switch (name) {
    case 'CHANNEL_ANSWER': {
      // The customer's leg comes in; the operator's leg is the one FreeSWITCH dials out.
      if (header(event, 'Call-Direction') !== 'inbound' || !isCallId(leg)) {
        return { type: name, action: null, outcome: 'not_a_call' };
      }
      const customer = customerFrom(
        header(event, 'variable_CALLFLOW_FIRST_NAME'),
        header(event, 'variable_CALLFLOW_PATRONYMIC'),
        options.onNameDropped,
      );
      const locale = localeFrom(header(event, 'variable_default_language'));
      const operatorId = operatorFrom(header(event, 'variable_CALLFLOW_OPERATOR'), options.onNameDropped);
      return {
        type: name,
        action: {
          kind: 'create',
          call: {
            callId: leg,
            ...(customer && { customer }),
            ...(locale && { locale }),
            ...(operatorId && { operatorId }),
          },
        },
      };
    }
    case 'CHANNEL_HOLD':
    case 'CHANNEL_UNHOLD': {
      // Raised on the leg that holds, usually the operator's: its other leg is the call.
      const others = [header(event, 'Other-Leg-Unique-ID'), header(event, 'variable_bridge_uuid')];
      const candidates = [...new Set([leg, ...others])].filter(isCallId);
      const type = name === 'CHANNEL_HOLD' ? 'call.hold' : 'call.unhold';
      return { type: name, action: { kind: 'event', candidates, event: { type, id } } };
    }
    case 'CHANNEL_HANGUP_COMPLETE': {
      if (!isCallId(leg)) return { type: name, action: null, outcome: 'not_a_call' };
      const by = header(event, 'Hangup-Cause') === 'NORMAL_CLEARING' ? 'customer' : 'network';
      return {
        type: name,
        action: { kind: 'event', candidates: [leg], event: { type: 'call.hangup', id, data: { by } } },
      };
    }
  }
}
