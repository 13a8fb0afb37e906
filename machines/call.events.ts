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

export type CustomerName = { firstName: string; patronymic?: string };

export type CallEvent =
  | ({ type: 'customer.identified' } & CustomerName)
  | { type: 'call.hangup'; by?: HangupParty }
  | { type: 'customer.unknown-topic'; topic: string }
  | { type: 'customer.contact-refused'; field: ContactField }
  | {
      type: Exclude<
        CallEventType,
        'customer.identified' | 'call.hangup' | 'customer.unknown-topic' | 'customer.contact-refused'
      >;
    };

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
