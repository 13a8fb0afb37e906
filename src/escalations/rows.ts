/**
 * The escalation tables' SQL (portable: both stores run the same text; `?` placeholders) and
 * rows to records. A change-log row says which status a change led to; the escalation as it
 * stood then is the current row with what came later taken away (statuses only move forward).
 */
import type { Row, Statement } from '../store/types.js';
import type { Escalation, EscalationStatus } from './schema.js';

const COLUMNS =
  'e.id, e.call_id, e.operator_id, e.topic, e.status, e.created_at, e.acknowledged_at, e.acknowledged_by, e.resolved_at, e.resolved_by, e.resolution';

export const SQL = {
  get: `SELECT ${COLUMNS} FROM escalations e WHERE e.id = ?`,
  /** Newest first; the cursor is the last row's (created_at, id). */
  list(filter: { status: boolean; callId: boolean; cursor: boolean }): string {
    const where: string[] = [];
    if (filter.status) where.push('e.status = ?');
    if (filter.callId) where.push('e.call_id = ?');
    if (filter.cursor) where.push('(e.created_at < ? OR (e.created_at = ? AND e.id < ?))');
    return `SELECT ${COLUMNS} FROM escalations e ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY e.created_at DESC, e.id DESC LIMIT ?`;
  },
  changesAfter: `SELECT c.seq, c.status AS change_status, ${COLUMNS}
    FROM escalation_changes c JOIN escalations e ON e.id = c.escalation_id
    WHERE c.seq > ? ORDER BY c.seq LIMIT ?`,
  head: 'SELECT MAX(seq) AS seq FROM escalation_changes',
  countOpen: "SELECT COUNT(*) AS n FROM escalations WHERE status = 'open'",
} as const;

export function insertEscalation(e: {
  id: string;
  callId: string;
  operatorId: string | null;
  topic: string;
  createdAt: number;
}): Statement[] {
  return [
    {
      sql: `INSERT INTO escalations (id, call_id, operator_id, topic, status, created_at) VALUES (?, ?, ?, ?, 'open', ?)`,
      params: [e.id, e.callId, e.operatorId, e.topic, e.createdAt],
    },
    logChange(e.id, 'open', e.createdAt),
  ];
}

/** The transition, only from the statuses that allow it (expectChanges: 1 makes a late one roll back). */
export function transition(
  id: string,
  to: 'acknowledged' | 'resolved',
  from: readonly EscalationStatus[],
  at: number,
  by: string,
  resolution: string | null,
): Statement[] {
  const allowed = from.map(() => '?').join(', ');
  const update: Statement =
    to === 'acknowledged'
      ? {
          sql: `UPDATE escalations SET status = 'acknowledged', acknowledged_at = ?, acknowledged_by = ? WHERE id = ? AND status IN (${allowed})`,
          params: [at, by, id, ...from],
          expectChanges: 1,
        }
      : {
          // Resolved straight from open: acknowledged_at and acknowledged_by stay null.
          sql: `UPDATE escalations SET status = 'resolved', resolved_at = ?, resolution = ?, resolved_by = ? WHERE id = ? AND status IN (${allowed})`,
          params: [at, resolution, by, id, ...from],
          expectChanges: 1,
        };
  return [update, logChange(id, to, at)];
}

function logChange(id: string, status: EscalationStatus, at: number): Statement {
  return {
    sql: 'INSERT INTO escalation_changes (escalation_id, status, at) VALUES (?, ?, ?)',
    params: [id, status, at],
  };
}

const iso = (value: unknown) => (value === null || value === undefined ? null : new Date(Number(value)).toISOString());
const text = (value: unknown) => (value === null || value === undefined ? null : String(value));

export function toEscalation(row: Row): Escalation {
  return {
    id: String(row.id),
    callId: String(row.call_id),
    operatorId: text(row.operator_id),
    topic: String(row.topic),
    status: row.status as EscalationStatus,
    createdAt: iso(row.created_at) as string,
    acknowledgedAt: iso(row.acknowledged_at),
    acknowledgedBy: text(row.acknowledged_by),
    resolvedAt: iso(row.resolved_at),
    resolvedBy: text(row.resolved_by),
    resolution: text(row.resolution),
  };
}

/** One change of the log: its seq and the escalation as it stood right after it. */
export function toChange(row: Row): { seq: number; escalation: Escalation } {
  const current = toEscalation(row);
  const status = row.change_status as EscalationStatus;
  const escalation: Escalation = { ...current, status };
  if (status === 'open') Object.assign(escalation, { acknowledgedAt: null, acknowledgedBy: null });
  if (status !== 'resolved') Object.assign(escalation, { resolvedAt: null, resolvedBy: null, resolution: null });
  return { seq: Number(row.seq), escalation };
}
