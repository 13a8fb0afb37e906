/**
 * Rows to records, shared by both backends. They differ only in how a JSON column arrives:
 * SQLite gives its text (parse it), the pg driver gives the value already parsed.
 */
import type { CallRecord, CallStatus, HistoryEntry, TimerRow } from './types.js';

export type Row = Record<string, unknown>;
type Json = (column: unknown) => never;

export const parseJson: Json = (column) => JSON.parse(column as string) as never;
export const asParsed: Json = (column) => column as never;

export function toCall(row: Row, json: Json): CallRecord {
  return {
    callId: row.call_id as string,
    status: row.status as CallStatus,
    version: row.version as number,
    locale: row.locale as CallRecord['locale'],
    snapshot: json(row.snapshot),
    prompts: json(row.prompts),
    actions: json(row.actions),
    timers: json(row.timers),
    createFingerprint: row.create_fingerprint as string,
    createdAt: row.created_at as number,
    updatedAt: row.updated_at as number,
    operatorId: (row.operator_id as string | null) ?? null,
    scriptVersion: (row.script_version as number | undefined) ?? 1,
  };
}

export function toHistory(row: Row, json: Json): HistoryEntry {
  return {
    callId: row.call_id as string,
    seq: row.seq as number,
    eventId: (row.event_id as string | null) ?? null,
    fingerprint: (row.fingerprint as string | null) ?? null,
    type: row.type as string,
    data: json(row.data),
    source: row.source as HistoryEntry['source'],
    at: row.at as number,
    status: row.status as CallStatus,
    snapshot: json(row.snapshot),
    prompts: json(row.prompts),
    actions: json(row.actions),
    timers: json(row.timers),
  };
}

export function toTimer(row: Row, json: Json): TimerRow {
  return {
    callId: row.call_id as string,
    timerId: row.timer_id as string,
    name: row.name as string,
    dueAt: row.due_at as number,
    event: json(row.event),
    // Only a claimed row has one that is not 0: the claim's lease, which its handler may write by.
    ...(row.locked_until ? { lockedUntil: Number(row.locked_until) } : {}),
  };
}
