/** Store rows in the shape the process scenarios compare (free of vitest: globalSetup imports it too). */
import type { StoredCall, StoredState } from './scenarios.js';

type Row = Record<string, unknown>;

/** One call row; `timers` is the column as the driver gives it (SQLite: text, pg: parsed). */
export function toStoredCall(r: Row, timers: (column: unknown) => StoredCall['timers']): StoredCall {
  return {
    callId: r.call_id as string,
    version: r.version as number,
    status: r.status as string,
    timers: timers(r.timers),
  };
}

export function toStoredTimer(r: Row): StoredState['timers'][number] {
  return { callId: r.call_id as string, timerId: r.timer_id as string, dueAt: r.due_at as number };
}

/** One history row as the scenarios compare it; both probes read the same columns. */
export function toStoredHistory(r: Row): StoredState['history'][number] {
  return {
    callId: r.call_id as string,
    seq: r.seq as number,
    eventId: (r.event_id as string | null) ?? null,
    type: r.type as string,
    source: r.source as string,
    at: r.at as number,
  };
}
