/**
 * The event vocabulary of a call, exported once: the machine, the HTTP schemas and the
 * operator console are all built from these lists (SPEC §2).
 */

export const CONTACT_FIELDS = ['phone', 'email'] as const;
export type ContactField = (typeof CONTACT_FIELDS)[number];

export const HANGUP_PARTIES = ['customer', 'operator', 'network'] as const;
export type HangupParty = (typeof HANGUP_PARTIES)[number];

/** How one field of an event's `data` is validated; schemas elsewhere are built from this. */
export type DataField =
  | { kind: 'string'; required: boolean; minLength: number; maxLength: number }
  | { kind: 'enum'; required: boolean; values: readonly string[] };

/** Every event a client may post, with the fields its `data` accepts (no others). */
export const EVENT_DATA = {
  'customer.identified': {
    firstName: { kind: 'string', required: true, minLength: 1, maxLength: 100 },
    patronymic: { kind: 'string', required: false, minLength: 1, maxLength: 100 },
  },
  'call.hangup': { by: { kind: 'enum', required: false, values: HANGUP_PARTIES } },
  'customer.prolonging': {},
  'call.hold': {},
  'call.unhold': {},
  'customer.speech': {},
  'answer.given': {},
  'customer.repeat-request': {},
  'customer.prank': {},
  'customer.cannot-hear': {},
  'customer.inaudible': {},
  'connection.restored': {},
  'customer.profanity': {},
  'customer.location-question': {},
  'customer.unknown-topic': { topic: { kind: 'string', required: true, minLength: 1, maxLength: 500 } },
  'customer.non-citizen': {},
  'offer.accepted': {},
  'offer.declined': {},
  'customer.no-card': {},
  'customer.contact-refused': { field: { kind: 'enum', required: true, values: CONTACT_FIELDS } },
  'customer.third-party': {},
} as const satisfies Record<string, Record<string, DataField>>;

export type CallEventType = keyof typeof EVENT_DATA;
export const CALL_EVENT_TYPES = Object.keys(EVENT_DATA) as CallEventType[];

/** The value a field accepts: one of an enum's values, or a string. */
type FieldValue<F> = F extends { kind: 'enum'; values: readonly (infer V)[] } ? V : string;
type RequiredNames<F> = { [K in keyof F]: F[K] extends { required: true } ? K : never }[keyof F];

/** The fields of one event type's `data`, derived from EVENT_DATA (required ones required). */
export type EventData<T extends CallEventType> = {
  [K in RequiredNames<(typeof EVENT_DATA)[T]>]: FieldValue<(typeof EVENT_DATA)[T][K]>;
} & {
  [K in Exclude<keyof (typeof EVENT_DATA)[T], RequiredNames<(typeof EVENT_DATA)[T]>>]?: FieldValue<
    (typeof EVENT_DATA)[T][K]
  >;
};

/** The machine's event union, one member per type, written nowhere else. */
export type CallEvent = { [T in CallEventType]: { type: T } & EventData<T> }[CallEventType];

export type CustomerName = EventData<'customer.identified'>;

/**
 * Events no client may post: the service raises them itself. `call.idle` ends a call that had
 * no API event for IDLE_CALL_SECONDS (SPEC §10); it is not in EVENT_DATA, so no schema accepts it.
 */
export const INTERNAL_EVENTS = { idle: 'call.idle' } as const;
export type InternalEvent = { type: (typeof INTERNAL_EVENTS)[keyof typeof INTERNAL_EVENTS] };

/** Builds the machine event from an API event: `data` fields become event properties. */
export function toMachineEvent(type: CallEventType, data: Record<string, unknown> = {}): CallEvent {
  return { ...data, type } as CallEvent;
}

/** A minimal valid event of each type: enough to ask the machine whether it is allowed now. */
export function sampleEvent(type: CallEventType): CallEvent {
  const data: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(EVENT_DATA[type]) as [string, DataField][]) {
    if (!field.required) continue;
    data[name] = field.kind === 'enum' ? field.values[0] : 'x';
  }
  return toMachineEvent(type, data);
}
