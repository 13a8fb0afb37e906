/**
 * The operator script as a statechart (SPEC §2). Pure: no I/O, no text. What the operator
 * must say comes out as `say` actions carrying a prompt key; side effects (the supervisor
 * escalation) come out as named actions too. The runtime turns both into data.
 */
import { assign, setup } from 'xstate';
import type { CallEvent, ContactField, CustomerName, InternalEvent } from './call.events.js';

export type EndReason =
  | 'completed'
  | 'repeat-limit'
  | 'connection-lost'
  | 'profanity'
  | 'offer-declined'
  | 'hangup'
  | 'abandoned';

export type PromptKey =
  | 'greeting'
  | 'closing.offer-help'
  | 'hold.start'
  | 'hold.check'
  | 'hold.return'
  | 'repeat.answer'
  | 'repeat.limit'
  | 'prank.warning'
  | 'connection.cannot-hear'
  | 'connection.inaudible'
  | 'connection.call-back'
  | 'profanity.warning'
  | 'profanity.termination'
  | 'info.location'
  | 'info.unknown-topic'
  | 'offer.mail-order'
  | 'offer.declined'
  | 'reassure.no-card'
  | 'reassure.skip-contact'
  | 'registration.third-party';

export interface CallContext {
  customer: CustomerName | null;
  repeats: number;
  connectionAttempts: number;
  warnings: number;
  skippedFields: ContactField[];
  endReason: EndReason | null;
}

export interface CallInput {
  customer?: CustomerName | null;
}

/** The script's numbers. They are configuration, not part of the graph. */
export interface CallLimits {
  maxRepeats: number;
  maxConnectionAttempts: number;
  holdCheckSeconds: number;
}

export const DEFAULT_LIMITS: CallLimits = { maxRepeats: 3, maxConnectionAttempts: 3, holdCheckSeconds: 30 };

/** Delayed transitions and the name their pending timer has in a call view and its history. */
export const DELAY_TIMER_NAMES = { holdCheck: 'hold.check' } as const;

const say = (key: PromptKey) => ({ type: 'say', params: { key } }) as const;
const end = (reason: EndReason) => ({ type: 'endCall', params: { reason } }) as const;
const escalate = {
  type: 'escalateToSupervisor',
  params: ({ event }: { event: CallEvent }) => ({ topic: event.type === 'customer.unknown-topic' ? event.topic : '' }),
} as const;

export function createCallMachine(limits: CallLimits = DEFAULT_LIMITS) {
  const repeatsLeft = { type: 'repeatsLeft', params: { max: limits.maxRepeats } } as const;
  const attemptsLeft = { type: 'attemptsLeft', params: { max: limits.maxConnectionAttempts } } as const;

  /** One more "can you hear me?"-style attempt, or, past the limit, the call-back and the end. */
  const connectionAttempt = (key: 'connection.cannot-hear' | 'connection.inaudible', target?: string) => [
    { guard: attemptsLeft, target, actions: ['countAttempt', say(key)] as const },
    { target: '#call.ended', actions: ['countAttempt', say('connection.call-back'), end('connection-lost')] as const },
  ];

  /** Situations 6, 10, 11, 13, 14, 15: said in passing; the conversation stays where it was. */
  const interjections = (target?: string) => ({
    'customer.prank': { target, actions: say('prank.warning') },
    'customer.location-question': { target, actions: say('info.location') },
    'customer.unknown-topic': { target, actions: [say('info.unknown-topic'), escalate] },
    'customer.no-card': { target, actions: say('reassure.no-card') },
    'customer.contact-refused': { target, actions: [say('reassure.skip-contact'), 'rememberSkippedField'] as const },
    'customer.third-party': { target, actions: say('registration.third-party') },
  });

  return setup({
    types: {
      context: {} as CallContext,
      events: {} as CallEvent | InternalEvent,
      input: {} as CallInput | undefined,
    },
    actions: {
      // Prompts and escalations are data for the runtime; these bodies never run on the server.
      say: (_, _params: { key: PromptKey }) => {},
      escalateToSupervisor: (_, _params: { topic: string }) => {},
      rememberCustomer: assign({
        customer: ({ event }) =>
          event.type === 'customer.identified'
            ? { firstName: event.firstName, ...(event.patronymic ? { patronymic: event.patronymic } : {}) }
            : null,
      }),
      rememberSkippedField: assign({
        skippedFields: ({ context, event }) =>
          event.type === 'customer.contact-refused' && !context.skippedFields.includes(event.field)
            ? [...context.skippedFields, event.field]
            : context.skippedFields,
      }),
      resetRepeats: assign({ repeats: 0 }),
      countRepeat: assign({ repeats: ({ context }) => context.repeats + 1 }),
      countAttempt: assign({ connectionAttempts: ({ context }) => context.connectionAttempts + 1 }),
      endEpisode: assign({ connectionAttempts: 0 }),
      countWarning: assign({ warnings: ({ context }) => context.warnings + 1 }),
      endCall: assign({ endReason: (_, params: { reason: EndReason }) => params.reason }),
    },
    guards: {
      repeatsLeft: ({ context }, params: { max: number }) => context.repeats < params.max,
      attemptsLeft: ({ context }, params: { max: number }) => context.connectionAttempts < params.max,
    },
    delays: {
      // Whole milliseconds: due times are stored as integers.
      holdCheck: Math.round(limits.holdCheckSeconds * 1000),
    },
  }).createMachine({
    id: 'call',
    context: ({ input }) => ({
      customer: input?.customer ?? null,
      repeats: 0,
      connectionAttempts: 0,
      warnings: 0,
      skippedFields: [],
      endReason: null,
    }),
    initial: 'conversation',
    entry: say('greeting'),
    on: {
      'customer.identified': { actions: 'rememberCustomer' },
      'call.hangup': { target: '.ended', actions: end('hangup') },
      // Nobody sent anything for IDLE_CALL_SECONDS (a hangup was lost): the call is abandoned,
      // from whatever state it is in, hold included (SPEC §10).
      'call.idle': { target: '.ended', actions: end('abandoned') },
    },
    states: {
      conversation: {
        type: 'parallel',
        on: {
          'customer.prolonging': { target: '#call.ended', actions: [say('closing.offer-help'), end('completed')] },
          'call.hold': { target: '#call.hold', actions: say('hold.start') },
          'customer.cannot-hear': connectionAttempt('connection.cannot-hear', '#call.connection'),
          'customer.inaudible': connectionAttempt('connection.inaudible', '#call.connection'),
        },
        states: {
          dialogue: {
            initial: 'greeting',
            on: {
              ...interjections(),
              'customer.non-citizen': { target: '.offerPending', actions: say('offer.mail-order') },
            },
            states: {
              greeting: {
                on: {
                  ...interjections('talking'),
                  'answer.given': 'talking',
                  'customer.profanity': 'talking',
                },
              },
              talking: {},
              offerPending: {
                on: {
                  'offer.accepted': 'talking',
                  'offer.declined': { target: '#call.ended', actions: [say('offer.declined'), end('offer-declined')] },
                },
              },
            },
          },
          answer: {
            initial: 'awaiting',
            states: {
              awaiting: {
                on: { 'answer.given': { target: 'given', actions: 'resetRepeats' } },
              },
              given: {
                on: {
                  'answer.given': { target: 'given', actions: 'resetRepeats' },
                  'customer.repeat-request': [
                    { guard: repeatsLeft, actions: ['countRepeat', say('repeat.answer')] },
                    { target: '#call.ended', actions: ['countRepeat', say('repeat.limit'), end('repeat-limit')] },
                  ],
                },
              },
            },
          },
          conduct: {
            initial: 'polite',
            states: {
              polite: {
                on: { 'customer.profanity': { target: 'warned', actions: ['countWarning', say('profanity.warning')] } },
              },
              warned: {
                on: {
                  'customer.profanity': {
                    target: '#call.ended',
                    actions: [say('profanity.termination'), end('profanity')],
                  },
                },
              },
            },
          },
          resume: { type: 'history', history: 'deep' },
        },
      },
      hold: {
        after: { holdCheck: { target: 'hold', reenter: true, actions: say('hold.check') } },
        on: {
          'customer.speech': { target: 'hold', reenter: true, actions: say('hold.check') },
          'call.unhold': { target: 'conversation.resume', actions: say('hold.return') },
        },
      },
      connection: {
        on: {
          'customer.cannot-hear': connectionAttempt('connection.cannot-hear'),
          'customer.inaudible': connectionAttempt('connection.inaudible'),
          'connection.restored': { target: 'conversation.resume', actions: 'endEpisode' },
        },
      },
      ended: { type: 'final' },
    },
  });
}

export type CallMachine = ReturnType<typeof createCallMachine>;
