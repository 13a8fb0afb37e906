/**
 * ARI events → call-flow actions (SPEC §9, the Asterisk table). Pure apart from the bridge
 * tracker it keeps up to date. Idempotency keys: `ari:<channel id>:<event type>:<timestamp>`.
 */
import type { HangupParty } from '../../../machines/call.events.js';
import type { Mapped } from '../types.js';
import { customerFrom, eventKey, isCallId, localeFrom, operatorFrom } from '../validate.js';
import type { BridgeTracker } from './bridges.js';
import { ARI_EVENT_TYPES, type AriChannel, isMapped, type MappedAriEvent, type OtherAriEvent } from './model.js';

/**
 * The Stasis argument that marks a leg entering the application for a call that already exists
 * (the operator's leg, originated with `appArgs=operator`): its StasisStart creates no call.
 */
export const LEG_ARGUMENT = 'operator';

/** Q.850 cause 16, normal call clearing: the customer hung up. */
const NORMAL_CLEARING = 16;

export interface MapOptions {
  /** A CALLFLOW_* variable was dropped because the API would refuse it (reason without the value). */
  onNameDropped(reason: string): void;
}

export function mapAriEvent(
  event: MappedAriEvent | OtherAriEvent,
  bridges: BridgeTracker,
  options: MapOptions,
): Mapped {
  if (!isMapped(event)) {
    return ARI_EVENT_TYPES.has(event.type)
      ? { type: event.type, action: null, outcome: 'unmapped' }
      : { type: 'other', action: null, outcome: 'unknown_type' };
  }
  const type = event.type;
  const key = (channel: AriChannel) => eventKey(['ari', channel.id, type, event.timestamp]);

  switch (event.type) {
    case 'StasisStart': {
      const { channel } = event;
      if (event.args[0] === LEG_ARGUMENT || !isCallId(channel.id)) return { type, action: null, outcome: 'not_a_call' };
      const vars = stringVars(channel.channelvars);
      const customer = customerFrom(vars.CALLFLOW_FIRST_NAME, vars.CALLFLOW_PATRONYMIC, options.onNameDropped);
      const locale = localeFrom(channel.language);
      const operatorId = operatorFrom(vars.CALLFLOW_OPERATOR, options.onNameDropped);
      return {
        type,
        action: {
          kind: 'create',
          call: {
            callId: channel.id,
            ...(customer && { customer }),
            ...(locale && { locale }),
            ...(operatorId && { operatorId }),
          },
        },
      };
    }
    case 'ChannelHold':
    case 'ChannelUnhold': {
      const { channel } = event;
      const candidates = [channel.id, ...bridges.peersOf(channel.id)].filter(isCallId);
      const eventType = type === 'ChannelHold' ? 'call.hold' : 'call.unhold';
      return { type, action: { kind: 'event', candidates, event: { type: eventType, id: key(channel) } } };
    }
    case 'ChannelTalkingStarted':
      // Talk detection runs on the call's own channel; `customer.speech` is refused (counted, not
      // applied) unless the call is on hold.
      return channelEvent(type, event.channel, 'customer.speech', key(event.channel));
    case 'ChannelHangupRequest': {
      // A soft hangup's `cause` is a softhangup flag (main/channel.c ast_softhangup), not Q.850:
      // its 16 is AST_SOFTHANGUP_APPUNLOAD, not the customer.
      const by: HangupParty = event.cause === NORMAL_CLEARING && !event.soft ? 'customer' : 'network';
      return channelEvent(type, event.channel, 'call.hangup', key(event.channel), { by });
    }
    case 'StasisEnd':
      return channelEvent(type, event.channel, 'call.hangup', key(event.channel), { by: 'network' });
    case 'ChannelDestroyed': {
      bridges.dropChannel(event.channel.id);
      const by: HangupParty = event.cause === NORMAL_CLEARING ? 'customer' : 'network';
      return channelEvent(type, event.channel, 'call.hangup', key(event.channel), { by });
    }
    case 'ChannelEnteredBridge':
      bridges.enter(event.bridge, event.channel?.id);
      return { type, action: null, outcome: 'unmapped' };
    case 'ChannelLeftBridge':
      bridges.leave(event.bridge, event.channel.id);
      return { type, action: null, outcome: 'unmapped' };
    case 'BridgeDestroyed':
      bridges.dropBridge(event.bridge.id);
      return { type, action: null, outcome: 'unmapped' };
  }
}

function channelEvent(
  type: string,
  channel: AriChannel,
  eventType: 'customer.speech' | 'call.hangup',
  id: string,
  data?: Record<string, unknown>,
): Mapped {
  if (!isCallId(channel.id)) return { type, action: null, outcome: 'not_a_call' };
  return {
    type,
    action: { kind: 'event', candidates: [channel.id], event: { type: eventType, id, ...(data && { data }) } },
  };
}

/** Channel variables with a text value (ari.conf `channelvars`; an unset one comes as ""). */
function stringVars(vars: Record<string, unknown> | undefined): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(vars ?? {}))
    if (typeof value === 'string' && value !== '') out[name] = value;
  return out;
}
