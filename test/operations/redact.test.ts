/** What counts as personal data in a stored call, and the same call without it (pure). */
import { describe, expect, it } from 'vitest';
import {
  createNamesCustomer,
  ERASED_FINGERPRINT,
  redactHistory,
  withoutName,
  withoutTopics,
} from '../../src/operations/redact.js';
import type { HistoryEntry } from '../../src/store/types.js';

const snapshot = (customer: unknown) => ({ value: 'ended', status: 'done', context: { customer, repeats: 2 } });

function entry(overrides: Partial<HistoryEntry>): HistoryEntry {
  return {
    callId: 'c',
    seq: 1,
    eventId: null,
    fingerprint: null,
    type: 'answer.given',
    data: {},
    source: 'api',
    at: 1,
    status: 'active',
    snapshot: snapshot(null),
    prompts: [],
    actions: [],
    timers: [],
    ...overrides,
  };
}

describe('redaction', () => {
  it('drops the customer from a snapshot and keeps the rest; none: nothing to do', () => {
    expect(withoutName(snapshot({ firstName: 'Иван' }))).toEqual(snapshot(null));
    expect(withoutName(snapshot(null))).toBeNull();
  });

  it('empties escalation topics, keeping the action and its id', () => {
    expect(withoutTopics([{ type: 'supervisor.escalation', topic: 'кредит', id: 'e1' }])).toEqual([
      { type: 'supervisor.escalation', topic: '', id: 'e1' },
    ]);
    expect(withoutTopics([{ type: 'supervisor.escalation', topic: '', id: 'e1' }])).toBeNull();
    expect(withoutTopics([])).toBeNull();
  });

  it('a history row loses name and topic fields, and a fingerprint that held them', () => {
    const named = redactHistory(
      entry({
        type: 'customer.identified',
        eventId: 'n1',
        fingerprint: '{"data":{"firstName":"Иван"},"type":"customer.identified"}',
        data: { firstName: 'Иван', patronymic: 'Петрович' },
        snapshot: snapshot({ firstName: 'Иван', patronymic: 'Петрович' }),
      }),
    );
    expect(named?.entry).toMatchObject({
      data: {},
      fingerprint: ERASED_FINGERPRINT,
      snapshot: snapshot(null),
      eventId: 'n1',
    });
    expect(named?.entry.data).toEqual({});
    expect([...(named?.kinds ?? [])]).toEqual(['customer-name']);

    const topic = redactHistory(
      entry({
        type: 'customer.unknown-topic',
        data: { topic: 'кредит' },
        actions: [{ type: 'supervisor.escalation', topic: 'кредит', id: 'e1' }],
      }),
    );
    expect(topic?.entry).toMatchObject({ data: {}, fingerprint: null, actions: [{ topic: '', id: 'e1' }] });
    expect(topic?.entry.data).toEqual({});
    expect([...(topic?.kinds ?? [])]).toEqual(['unknown-topic']);

    // Other data stays; a row without personal data is left alone.
    expect(redactHistory(entry({ type: 'call.hangup', data: { by: 'customer' } }))).toBeNull();
    expect(redactHistory(entry({ type: 'customer.contact-refused', data: { field: 'phone' } }))).toBeNull();
  });

  it('knows a create fingerprint that names a customer', () => {
    expect(createNamesCustomer('{"callId":"c","customer":{"firstName":"Иван"},"locale":"ru"}')).toBe(true);
    expect(createNamesCustomer('{"callId":"c","customer":null,"locale":"ru"}')).toBe(false);
    expect(createNamesCustomer('not json')).toBe(false);
  });
});
