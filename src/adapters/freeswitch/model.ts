/**
 * FreeSWITCH events as `event json` delivers them. Source: signalwire/freeswitch at
 * cc93a683ca6e1f8f47c1d6e38bd2daf8fa6a7b1c: src/switch_event.c `switch_event_serialize_json_obj`
 * (one JSON object, each header a string, a multi-value header an array of strings, a body as
 * `_body`), `switch_event_prep_for_delivery_detailed` (Event-Name, Core-UUID, Event-Date-Timestamp
 * in microseconds, Event-Sequence, ...), src/switch_channel.c `switch_channel_event_set_basic_data`
 * (Unique-ID, Call-Direction, Hangup-Cause, Other-Leg-* from the originator/originatee profile)
 * and `switch_channel_event_set_extended_data` (`variable_*` on ANSWER, HOLD, UNHOLD, HANGUP_COMPLETE).
 */
import { type Static, Type } from '@sinclair/typebox';
import { validator } from '../validate.js';

/** src/switch_event.c `EVENT_NAMES`: every event FreeSWITCH has (CUSTOM ones carry a subclass). */
export const FS_KNOWN_EVENT_NAMES = new Set([
  'CUSTOM',
  'CLONE',
  'CHANNEL_CREATE',
  'CHANNEL_DESTROY',
  'CHANNEL_STATE',
  'CHANNEL_CALLSTATE',
  'CHANNEL_ANSWER',
  'CHANNEL_HANGUP',
  'CHANNEL_HANGUP_COMPLETE',
  'CHANNEL_EXECUTE',
  'CHANNEL_EXECUTE_COMPLETE',
  'CHANNEL_HOLD',
  'CHANNEL_UNHOLD',
  'CHANNEL_BRIDGE',
  'CHANNEL_UNBRIDGE',
  'CHANNEL_PROGRESS',
  'CHANNEL_PROGRESS_MEDIA',
  'CHANNEL_OUTGOING',
  'CHANNEL_PARK',
  'CHANNEL_UNPARK',
  'CHANNEL_APPLICATION',
  'CHANNEL_ORIGINATE',
  'CHANNEL_UUID',
  'API',
  'LOG',
  'INBOUND_CHAN',
  'OUTBOUND_CHAN',
  'STARTUP',
  'SHUTDOWN',
  'PUBLISH',
  'UNPUBLISH',
  'TALK',
  'NOTALK',
  'SESSION_CRASH',
  'MODULE_LOAD',
  'MODULE_UNLOAD',
  'DTMF',
  'MESSAGE',
  'PRESENCE_IN',
  'NOTIFY_IN',
  'PRESENCE_OUT',
  'PRESENCE_PROBE',
  'MESSAGE_WAITING',
  'MESSAGE_QUERY',
  'ROSTER',
  'CODEC',
  'BACKGROUND_JOB',
  'DETECTED_SPEECH',
  'DETECTED_TONE',
  'PRIVATE_COMMAND',
  'HEARTBEAT',
  'TRAP',
  'ADD_SCHEDULE',
  'DEL_SCHEDULE',
  'EXE_SCHEDULE',
  'RE_SCHEDULE',
  'RELOADXML',
  'NOTIFY',
  'PHONE_FEATURE',
  'PHONE_FEATURE_SUBSCRIBE',
  'SEND_MESSAGE',
  'RECV_MESSAGE',
  'REQUEST_PARAMS',
  'CHANNEL_DATA',
  'GENERAL',
  'COMMAND',
  'SESSION_HEARTBEAT',
  'CLIENT_DISCONNECTED',
  'SERVER_DISCONNECTED',
  'SEND_INFO',
  'RECV_INFO',
  'RECV_RTCP_MESSAGE',
  'SEND_RTCP_MESSAGE',
  'CALL_SECURE',
  'NAT',
  'RECORD_START',
  'RECORD_STOP',
  'PLAYBACK_START',
  'PLAYBACK_STOP',
  'CALL_UPDATE',
  'FAILURE',
  'SOCKET_DATA',
  'MEDIA_BUG_START',
  'MEDIA_BUG_STOP',
  'CONFERENCE_DATA_QUERY',
  'CONFERENCE_DATA',
  'CALL_SETUP_REQ',
  'CALL_SETUP_RESULT',
  'CALL_DETAIL',
  'DEVICE_STATE',
  'TEXT',
  'SHUTDOWN_REQUESTED',
  'CERT_RELOAD',
]);

/** The events the adapter subscribes to (SPEC §9) and maps. */
export const FS_EVENT_NAMES = ['CHANNEL_ANSWER', 'CHANNEL_HOLD', 'CHANNEL_UNHOLD', 'CHANNEL_HANGUP_COMPLETE'] as const;
export type FsEventName = (typeof FS_EVENT_NAMES)[number];

const Value = Type.Union([Type.String(), Type.Array(Type.String())]);
const Text = Type.String({ minLength: 1, maxLength: 1000 });

/** Any FreeSWITCH event: a flat object of string (or string array) values with an Event-Name. */
export const FsEvent = Type.Object(
  { 'Event-Name': Type.String({ minLength: 1, maxLength: 100 }) },
  { additionalProperties: Value },
);

const channelEvent = (direction: 'required' | 'optional') =>
  Type.Object(
    {
      'Event-Name': Type.String(),
      'Unique-ID': Text,
      'Event-Date-Timestamp': Type.String({ pattern: '^[0-9]{1,20}$' }),
      'Call-Direction': direction === 'required' ? Type.String() : Type.Optional(Type.String()),
    },
    { additionalProperties: Value },
  );
/** A channel event the adapter maps: the leg's id and the event's own time are its key. */
export const FsChannelEvent = channelEvent('optional');
/** CHANNEL_ANSWER creates a call only for an inbound leg: the direction must be there. */
export const FsAnswerEvent = channelEvent('required');

export type FsEventHeaders = Static<typeof FsEvent> & Record<string, string | string[]>;

const checkEvent = validator<FsEventHeaders>(FsEvent, 'event');
const checkChannelEvent = validator<FsEventHeaders>(FsChannelEvent, 'event');
const checkAnswerEvent = validator<FsEventHeaders>(FsAnswerEvent, 'event');

export const isMappedName = (name: string): name is FsEventName => (FS_EVENT_NAMES as readonly string[]).includes(name);

/** An event checked: any with an Event-Name, and the mapped ones with the headers they need. */
export function parseFsEvent(value: unknown): { ok: true; event: FsEventHeaders } | { ok: false; reason: string } {
  const checked = checkEvent(value);
  if (!checked.ok) return checked;
  const name = checked.value['Event-Name'];
  if (!isMappedName(name)) return { ok: true, event: checked.value };
  const full = (name === 'CHANNEL_ANSWER' ? checkAnswerEvent : checkChannelEvent)(value);
  return full.ok ? { ok: true, event: full.value } : full;
}

/** A header's text (a multi-value header: its first value). */
export function header(event: FsEventHeaders, name: string): string | undefined {
  const value = event[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text === '' ? undefined : text;
}
