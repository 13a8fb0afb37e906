/**
 * Shared helpers for the machine tests: a small driver around the pure runtime, the
 * known customer, and a canonical form of the active state (parallel regions sorted, so a
 * comparison does not depend on the order XState happens to list them in).
 */
import { expect } from 'vitest';
import { CALL_EVENT_TYPES, type CallEvent, type CallEventType, type CustomerName } from '../../machines/call.events.js';
import type { CallLimits, PromptKey } from '../../machines/call.machine.js';
import {
  type CallRuntime,
  type CallSnapshot,
  counters,
  createCallRuntime,
  type Step,
  statePaths,
} from '../../machines/call.runtime.js';
import { CATALOGUES, type Locale, renderPrompt } from '../../machines/catalogue.js';

export const IVAN: CustomerName = { firstName: 'Иван', patronymic: 'Петрович' };
export const IVAN_EVENT: CallEvent = { type: 'customer.identified', firstName: 'Иван', patronymic: 'Петрович' };

/** The machine event the hold check raises when it comes due (delay `holdCheck` of state `call.hold`). */
export const HOLD_TIMER_EVENT = { type: 'xstate.after.holdCheck.call.hold' } as const;

/** The active state: one dotted path, or the sorted paths of the parallel regions. */
export function stateOf(snapshot: CallSnapshot): string | string[] {
  const paths = statePaths(snapshot);
  return typeof paths === 'string' ? paths : [...paths].sort();
}

/** The regions of the conversation, sorted like stateOf does. */
export function conversation(dialogue: string, answer: string, conduct: string): string[] {
  return [`conversation.answer.${answer}`, `conversation.conduct.${conduct}`, `conversation.dialogue.${dialogue}`];
}

export const GREETING = conversation('greeting', 'awaiting', 'polite');
export const TALKING = conversation('talking', 'awaiting', 'polite');

/** A call driven through the pure runtime, one checked event at a time. */
export class CallDriver {
  snapshot: CallSnapshot;
  last: Step;

  constructor(
    readonly runtime: CallRuntime = createCallRuntime(),
    customer: CustomerName | null = null,
  ) {
    this.last = runtime.start(customer ? { customer } : {});
    this.snapshot = this.last.snapshot;
  }

  static with(limits: Partial<CallLimits>, customer: CustomerName | null = null): CallDriver {
    return new CallDriver(
      createCallRuntime({ maxRepeats: 3, maxConnectionAttempts: 3, holdCheckSeconds: 30, ...limits }),
      customer,
    );
  }

  /** Applies an event the script allows now; fails the test if it is not allowed. */
  send(event: CallEvent | { type: string }): Step {
    expect(
      this.runtime.allows(this.snapshot, event),
      `${event.type} should be allowed in ${JSON.stringify(this.state)}`,
    ).toBe(true);
    this.last = this.runtime.apply(this.snapshot, event);
    this.snapshot = this.last.snapshot;
    return this.last;
  }

  sendAll(...events: (CallEvent | { type: string })[]): Step {
    for (const event of events) this.send(event);
    return this.last;
  }

  /** persist -> JSON text -> restore, as the store does between two events. */
  roundTrip(): this {
    const stored = JSON.stringify(this.runtime.persist(this.snapshot));
    this.snapshot = this.runtime.restore(JSON.parse(stored));
    return this;
  }

  get state() {
    return stateOf(this.snapshot);
  }

  get counters() {
    return counters(this.snapshot.context);
  }

  get context() {
    return this.snapshot.context;
  }

  /** The prompts of the latest step, rendered for the customer the call knows now. */
  texts(locale: Locale = 'ru'): string[] {
    return this.last.prompts.map((key) => renderPrompt(key, this.snapshot.context.customer, locale).text);
  }
}

/** Every prompt key of both catalogues renders to non-empty text with the address resolved. */
export function expectRenderable(key: PromptKey, customer: CustomerName | null): void {
  for (const locale of Object.keys(CATALOGUES) as Locale[]) {
    const { text } = renderPrompt(key, customer, locale);
    expect(text.length, `${locale}:${key}`).toBeGreaterThan(0);
    expect(text, `${locale}:${key}`).not.toMatch(/И\.\s?О\.|\bИО\b|\{name\}/u);
  }
}

/** One valid event per API type, plus the second contact field, for exploring the machine. */
export function apiEventVariants(): CallEvent[] {
  const events: CallEvent[] = [];
  for (const type of CALL_EVENT_TYPES as CallEventType[]) {
    switch (type) {
      case 'customer.identified':
        events.push({ type, firstName: 'Иван', patronymic: 'Петрович' });
        break;
      case 'customer.unknown-topic':
        events.push({ type, topic: 'новая рассылка' });
        break;
      case 'customer.contact-refused':
        events.push({ type, field: 'phone' }, { type, field: 'email' });
        break;
      case 'call.hangup':
        events.push({ type, by: 'customer' });
        break;
      default:
        events.push({ type } as CallEvent);
    }
  }
  return events;
}
