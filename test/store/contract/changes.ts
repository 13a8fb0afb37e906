/**
 * Changes as the service would build them, for the contract tests: a new call, and the change
 * that moves a call on by one event (timers listed as the service lists them).
 */
import type { CallRecord, CreateChange, EventChange, HistoryEntry, TimerRow } from '../../../src/store/types.js';

export const T0 = 1_767_000_000_000; // epoch ms, beyond 2^32: bigint columns must come back as numbers

export function callRecord(callId: string, overrides: Partial<CallRecord> = {}): CallRecord {
  return {
    callId,
    status: 'active',
    version: 0,
    locale: 'ru',
    // Key order and non-ASCII text must come back exactly as written.
    snapshot: { value: { conversation: 'greeting' }, context: { customer: { firstName: 'Иван' }, b: 1, a: [2, 3] } },
    prompts: ['greeting'],
    actions: [],
    timers: [],
    createFingerprint: `{"callId":"${callId}"}`,
    createdAt: T0,
    updatedAt: T0,
    operatorId: null,
    scriptVersion: 1,
    ...overrides,
  };
}

export function create(callId: string, overrides: Partial<CallRecord> = {}): CreateChange {
  return { kind: 'create', call: callRecord(callId, overrides) };
}

export interface EventOptions {
  eventId?: string | null;
  type?: string;
  at?: number;
  arm?: { timerId: string; dueAt: number }[];
  cancel?: string[];
  fired?: { timerId: string; dueAt: number };
  expectedVersion?: number;
  status?: CallRecord['status'];
}

/** The change that moves `call` on by one event (timers as the service would list them). */
export function event(call: CallRecord, options: EventOptions = {}): EventChange {
  const at = options.at ?? call.updatedAt + 1;
  const version = call.version + 1;
  const timers = new Map(call.timers.map((t) => [t.timerId, t]));
  if (options.fired) timers.delete(options.fired.timerId);
  for (const id of options.cancel ?? []) timers.delete(id);
  const arm: TimerRow[] = (options.arm ?? []).map((t) => ({
    callId: call.callId,
    timerId: t.timerId,
    name: 'hold.check',
    dueAt: t.dueAt,
    event: { type: 'xstate.after.holdCheck.call.hold' },
  }));
  for (const t of arm) timers.set(t.timerId, { timerId: t.timerId, name: t.name, dueAt: t.dueAt });
  const timerList = [...timers.values()];
  const status = options.status ?? 'active';
  const snapshot = { value: { step: version }, context: { customer: { firstName: 'Иван', patronymic: 'Петрович' } } };
  const eventId = options.eventId === undefined ? `e${version}` : options.eventId;
  const next: CallRecord = {
    ...call,
    status,
    version,
    snapshot,
    prompts: ['hold.check'],
    actions: [{ type: 'supervisor.escalation', topic: `topic ${version}` }],
    timers: timerList,
    updatedAt: at,
  };
  const history: HistoryEntry = {
    callId: call.callId,
    seq: version,
    eventId,
    fingerprint: eventId === null ? null : `{"type":"${options.type ?? 'customer.speech'}"}`,
    type: options.type ?? 'customer.speech',
    data: { topic: `тема ${version}`, n: version },
    source: options.fired ? 'timer' : 'api',
    at,
    status,
    snapshot,
    prompts: next.prompts,
    actions: next.actions,
    timers: timerList,
  };
  return {
    kind: 'event',
    call: next,
    expectedVersion: options.expectedVersion ?? call.version,
    history,
    armTimers: arm,
    cancelTimers: options.cancel ?? [],
    ...(options.fired ? { firedTimer: options.fired } : {}),
  };
}
