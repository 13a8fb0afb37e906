/**
 * The parts of Asterisk's ARI model the adapter reads, as TypeBox schemas. Source: asterisk/asterisk
 * at f0c1c1a7b79b0f8cc0311649bf36824cbeee30a9, rest-api/api-docs/events.json (Message, Event and
 * its subtypes), channels.json (Channel) and bridges.json (Bridge), API version 2.0.0.
 *
 * Only fields the mapping uses are checked, with the types the model gives them; everything else
 * an event carries is allowed through (a middleware may forward events it has trimmed). A field
 * the model marks required and the mapping needs is required here too.
 */
import { type Static, Type } from '@sinclair/typebox';
import { validator } from '../validate.js';

/** events.json, `Event.subTypes`: every event type Asterisk sends to an application. */
export const ARI_EVENT_TYPES = new Set([
  'DeviceStateChanged',
  'PlaybackStarted',
  'PlaybackContinuing',
  'PlaybackFinished',
  'RecordingStarted',
  'RecordingFinished',
  'RecordingFailed',
  'ApplicationMoveFailed',
  'ApplicationRegistered',
  'ApplicationUnregistered',
  'ApplicationReplaced',
  'BridgeCreated',
  'BridgeDestroyed',
  'BridgeMerged',
  'BridgeBlindTransfer',
  'BridgeAttendedTransfer',
  'BridgeVideoSourceChanged',
  'ChannelCreated',
  'ChannelDestroyed',
  'ChannelEnteredBridge',
  'ChannelLeftBridge',
  'ChannelStateChange',
  'ChannelDtmfReceived',
  'ChannelDialplan',
  'ChannelCallerId',
  'ChannelUserevent',
  'ChannelHangupRequest',
  'ChannelVarset',
  'ChannelToneDetected',
  'ChannelTalkingStarted',
  'ChannelTalkingFinished',
  'ChannelHold',
  'ChannelUnhold',
  'ContactStatusChange',
  'EndpointStateChange',
  'Dial',
  'StasisEnd',
  'StasisStart',
  'TextMessageReceived',
  'ChannelConnectedLine',
  'PeerStatusChange',
  'ChannelTransfer',
  'RESTResponse',
  'CallBroadcast',
  'CallClaimed',
  // A Message that is no Event: the error Asterisk sends when the request lacked parameters.
  'MissingParams',
]);

const Id = Type.String({ minLength: 1, maxLength: 1000 });
/** `Event.timestamp` ("Date": `%FT%T.%q%z`, main/json.c), kept as text for the idempotency key. */
const Timestamp = Type.String({ minLength: 1, maxLength: 64 });

/** channels.json `Channel`: `id` and `language` are required there; `channelvars` is optional. */
export const Channel = Type.Object({
  id: Id,
  language: Type.Optional(Type.String({ maxLength: 100 })),
  channelvars: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});

/** bridges.json `Bridge`: `id` and `channels` (ids of the channels in it) are required. */
export const Bridge = Type.Object({ id: Id, channels: Type.Array(Id, { maxItems: 10_000 }) });

/** events.json `Message`: the discriminator `type`. */
export const AriMessage = Type.Object({ type: Type.String({ minLength: 1, maxLength: 100 }) });

const channelEvent = <T extends string>(type: T) =>
  Type.Object({ type: Type.Literal(type), timestamp: Timestamp, channel: Channel });

export const StasisStart = Type.Object({
  type: Type.Literal('StasisStart'),
  timestamp: Timestamp,
  args: Type.Array(Type.String({ maxLength: 1000 }), { maxItems: 100 }),
  channel: Channel,
});
export const StasisEnd = channelEvent('StasisEnd');
export const ChannelHold = channelEvent('ChannelHold');
export const ChannelUnhold = channelEvent('ChannelUnhold');
export const ChannelTalkingStarted = channelEvent('ChannelTalkingStarted');
export const ChannelHangupRequest = Type.Object({
  type: Type.Literal('ChannelHangupRequest'),
  timestamp: Timestamp,
  channel: Channel,
  cause: Type.Optional(Type.Integer()),
  soft: Type.Optional(Type.Boolean()),
});
export const ChannelDestroyed = Type.Object({
  type: Type.Literal('ChannelDestroyed'),
  timestamp: Timestamp,
  channel: Channel,
  cause: Type.Integer(),
});
/** `channel` is optional in the model for ChannelEnteredBridge, required for ChannelLeftBridge. */
export const ChannelEnteredBridge = Type.Object({
  type: Type.Literal('ChannelEnteredBridge'),
  timestamp: Timestamp,
  bridge: Bridge,
  channel: Type.Optional(Channel),
});
export const ChannelLeftBridge = Type.Object({
  type: Type.Literal('ChannelLeftBridge'),
  timestamp: Timestamp,
  bridge: Bridge,
  channel: Channel,
});
export const BridgeDestroyed = Type.Object({
  type: Type.Literal('BridgeDestroyed'),
  timestamp: Timestamp,
  bridge: Bridge,
});

const MAPPED = {
  StasisStart,
  StasisEnd,
  ChannelHold,
  ChannelUnhold,
  ChannelTalkingStarted,
  ChannelHangupRequest,
  ChannelDestroyed,
  ChannelEnteredBridge,
  ChannelLeftBridge,
  BridgeDestroyed,
};

export type AriChannel = Static<typeof Channel>;
export type AriBridge = Static<typeof Bridge>;
/** An event the adapter reads, checked against its model. */
export type MappedAriEvent = { [K in keyof typeof MAPPED]: Static<(typeof MAPPED)[K]> }[keyof typeof MAPPED];
/** Any other message: only its type is known. */
export type OtherAriEvent = { type: string };

const checkMessage = validator<OtherAriEvent>(AriMessage, 'event');
const checkers = Object.fromEntries(
  Object.entries(MAPPED).map(([type, schema]) => [type, validator<MappedAriEvent>(schema, 'event')]),
) as Record<string, (value: unknown) => ReturnType<ReturnType<typeof validator<MappedAriEvent>>>>;

/** An ARI message checked against the model: a mapped event whole, any other by its `type` alone. */
export function parseAriEvent(
  value: unknown,
): { ok: true; event: MappedAriEvent | OtherAriEvent } | { ok: false; reason: string } {
  const message = checkMessage(value);
  if (!message.ok) return message;
  const check = checkers[message.value.type];
  if (!check) return { ok: true, event: message.value };
  const checked = check(value);
  return checked.ok ? { ok: true, event: checked.value } : checked;
}

export const isMapped = (event: MappedAriEvent | OtherAriEvent): event is MappedAriEvent => event.type in MAPPED;
