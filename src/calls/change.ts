/**
 * What one step writes, computed from the call as stored and the machine's step. Pure: no
 * store, no clock of its own (the caller passes `at`), so it is tested directly.
 */
import type { CallRuntime, Step } from '../../machines/call.runtime.js';
import type { CallRecord, CallStatus, EventChange, HistoryEntry, TimerRow } from '../store/types.js';

/** The history-side facts of an applied event (who sent it, its idempotency key). */
export type AppliedEvent = Pick<HistoryEntry, 'eventId' | 'fingerprint' | 'type' | 'data' | 'source'>;

export interface NewCall {
  callId: string;
  locale: CallRecord['locale'];
  operatorId: string | null;
  scriptVersion: number;
  createFingerprint: string;
}

/** The record of a call that has just started (version 0, the greeting's prompts). */
export function newCallRecord(
  call: NewCall,
  step: Step,
  runtime: Pick<CallRuntime, 'persist'>,
  at: number,
): CallRecord {
  return {
    ...call,
    status: 'active',
    version: 0,
    snapshot: runtime.persist(step.snapshot),
    prompts: step.prompts,
    actions: step.effects,
    timers: [],
    createdAt: at,
    updatedAt: at,
  };
}

/** The change an applied step makes: the call's next row, its history row, its timer rows. */
export function eventChange(
  record: CallRecord,
  step: Step,
  event: AppliedEvent,
  runtime: Pick<CallRuntime, 'persist'>,
  at: number,
): EventChange {
  const version = record.version + 1;
  const snapshot = runtime.persist(step.snapshot);
  const status: CallStatus = step.snapshot.status === 'active' ? 'active' : 'ended';
  const { timerList, armed, cancelled } =
    step.timers.length === 0 ? { timerList: record.timers, armed: [], cancelled: [] } : timerChanges(record, step, at);
  const call: CallRecord = {
    ...record,
    status,
    version,
    snapshot,
    prompts: step.prompts,
    actions: step.effects,
    timers: timerList,
    updatedAt: at,
  };
  return {
    kind: 'event',
    call,
    expectedVersion: record.version,
    history: {
      callId: record.callId,
      seq: version,
      ...event,
      at,
      status,
      snapshot,
      prompts: step.prompts,
      actions: step.effects,
      timers: timerList,
    },
    armTimers: armed,
    cancelTimers: cancelled,
  };
}

/** Net effect of a step on the call's timers (a re-arm is a cancel then an arm). */
export function timerChanges(record: CallRecord, step: Step, at: number) {
  const timers = new Map(record.timers.map((t) => [t.timerId, t]));
  const armed = new Map<string, TimerRow>();
  const cancelled = new Set<string>();
  for (const change of step.timers) {
    if (change.op === 'cancel') {
      timers.delete(change.id);
      armed.delete(change.id);
      cancelled.add(change.id);
    } else {
      const row = {
        callId: record.callId,
        timerId: change.id,
        name: change.name,
        // Whole milliseconds: HOLD_CHECK_SECONDS may have any fraction (1.0005 s is 1000.5 ms),
        // and PostgreSQL's bigint due_at refuses a fractional one (the firing matches it exactly).
        dueAt: at + Math.round(change.delayMs),
        event: change.event,
      };
      timers.set(change.id, row);
      armed.set(change.id, row);
      cancelled.delete(change.id);
    }
  }
  return {
    timerList: [...timers.values()].map(({ timerId, name, dueAt }) => ({ timerId, name, dueAt })),
    armed: [...armed.values()],
    cancelled: [...cancelled],
  };
}
