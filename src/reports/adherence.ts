/**
 * The adherence report (SPEC §8), computed by SQL from the stored history on either store, so
 * every view (the report by operator, by day, one call's figures) counts the same rows the same
 * way. The definitions, figure by figure, are in docs/supervisor.md; the SQL below is them.
 *
 * Two statements: the calls of the scope by group and end reason (calls_by_start), and the
 * history figures by group, read from the partial covering index history_adherence (migration
 * 0006, SQLite migration 6) so no row's JSON snapshot is read. The index's WHERE is
 * `HISTORY_ROWS` word for word; the planner uses a partial index only for a query that repeats it.
 * The stores differ in one expression: how the end reason is read from the call's JSON snapshot.
 */
import type { CallStore, SqlValue } from '../store/types.js';
import { DAY_MS, dayKey, dayNumber } from './period.js';
import {
  type AdherenceFigures,
  type AdherenceGroup,
  type AdherenceReport,
  END_REASONS,
  type GroupBy,
} from './schema.js';
import type { ReportQueries } from './sqlite-reader.js';

/** The history rows the report reads: those whose type it counts or whose prompts it counts
 *  (test/unit/adherence-definitions.test.ts checks these are the only types that say them), and
 *  the unholds that close holds. */
export const ADHERENCE_TYPES = [
  'call.hold',
  'call.unhold',
  'hold.check',
  'customer.repeat-request',
  'customer.cannot-hear',
  'customer.inaudible',
  'customer.profanity',
  'customer.unknown-topic',
  'customer.contact-refused',
] as const;
/** The prompt keys the report counts, each on the rows of the types that can say it. */
export const COUNTED_PROMPTS = {
  'repeat.answer': ['customer.repeat-request'],
  'repeat.limit': ['customer.repeat-request'],
  'connection.call-back': ['customer.cannot-hear', 'customer.inaudible'],
  'profanity.warning': ['customer.profanity'],
  'profanity.termination': ['customer.profanity'],
  'reassure.skip-contact': ['customer.contact-refused'],
} as const satisfies Record<string, readonly (typeof ADHERENCE_TYPES)[number][]>;
const TYPES = ADHERENCE_TYPES.map((t) => `'${t}'`).join(', ');
const historyRows = (t: string) => `${t}.type IN (${TYPES})`;

/** A row of the types that can say the prompt key, which its prompts (a JSON array of quoted keys) hold. */
function says(key: keyof typeof COUNTED_PROMPTS): string {
  const types = COUNTED_PROMPTS[key].map((t) => `'${t}'`).join(', ');
  return `h.type IN (${types}) AND CAST(h.prompts AS TEXT) LIKE '%"${key}"%'`;
}

const END_REASON: Record<CallStore['kind'], string> = {
  sqlite: "json_extract(c.snapshot, '$.context.endReason')",
  postgres: "c.snapshot -> 'context' ->> 'endReason'",
};

const CALL_KEY: Record<GroupBy | 'call', string> = {
  operator: 'c.operator_id',
  // Whole UTC days since the epoch: integer division on both stores, named in JavaScript.
  day: `c.created_at / ${DAY_MS}`,
  call: 'c.call_id',
};

type Scope = { kind: 'period'; from: number; to: number } | { kind: 'call'; callId: string };

function scopeOf(scope: Scope): { where: string; params: SqlValue[] } {
  return scope.kind === 'period'
    ? { where: 'c.created_at >= ? AND c.created_at < ?', params: [scope.from, scope.to] }
    : { where: 'c.call_id = ?', params: [scope.callId] };
}

function callsSql(kind: CallStore['kind'], key: string, where: string): string {
  return `SELECT ${key} AS k, CASE WHEN c.status = 'ended' THEN ${END_REASON[kind]} END AS reason, COUNT(*) AS n
    FROM calls c WHERE ${where} GROUP BY 1, 2`;
}

/** The same key over the per-call rows of historySql's inner query (alias p). */
const OUTER_KEY: Record<GroupBy | 'call', string> = {
  operator: 'p.operator_id',
  day: `p.created_at / ${DAY_MS}`,
  call: 'p.call_id',
};

const SUMMED = [
  'holds',
  'hold_checks',
  'repeat_answers',
  'repeat_limits',
  'connection_lost',
  'profanity_warnings',
  'profanity_terminations',
  'escalations',
  'skipped_contacts',
] as const;

/**
 * Figures per call first, grouped in calls_by_start's own order (created_at, operator_id,
 * call_id), so SQLite aggregates the joined rows as they come instead of sorting them all; then
 * the calls' figures by group.
 */
function historySql(group: GroupBy | 'call', where: string): string {
  const perCall = `SELECT c.created_at, c.operator_id, c.call_id,
      COUNT(*) FILTER (WHERE h.type = 'call.hold') AS holds,
      COUNT(*) FILTER (WHERE h.type = 'hold.check' AND h.source = 'timer') AS hold_checks,
      COUNT(*) FILTER (WHERE ${says('repeat.answer')}) AS repeat_answers,
      COUNT(*) FILTER (WHERE ${says('repeat.limit')}) AS repeat_limits,
      COUNT(*) FILTER (WHERE ${says('connection.call-back')}) AS connection_lost,
      COUNT(*) FILTER (WHERE ${says('profanity.warning')}) AS profanity_warnings,
      COUNT(*) FILTER (WHERE ${says('profanity.termination')}) AS profanity_terminations,
      COUNT(*) FILTER (WHERE h.type = 'customer.unknown-topic') AS escalations,
      COUNT(*) FILTER (WHERE ${says('reassure.skip-contact')}) AS skipped_contacts,
      MAX(CASE WHEN h.type = 'call.hold' THEN
        -- A hold lasts until the first later unhold; with none, until the call's latest change:
        -- its end if it ended during the hold (hangup, idle), its latest check if still on hold.
        COALESCE((SELECT MIN(e.at) FROM history e
          WHERE e.call_id = h.call_id AND e.seq > h.seq AND ${historyRows('e')}
            AND e.type = 'call.unhold'), c.updated_at) - h.at
      END) AS longest_hold_ms
    FROM calls c JOIN history h ON h.call_id = c.call_id
    WHERE ${where} AND ${historyRows('h')}
    GROUP BY c.created_at, c.operator_id, c.call_id`;
  return `SELECT ${OUTER_KEY[group]} AS k, ${SUMMED.map((c) => `SUM(p.${c}) AS ${c}`).join(', ')},
      MAX(p.longest_hold_ms) AS longest_hold_ms
    FROM (${perCall}) p
    GROUP BY 1`;
}

const FIGURE_COLUMNS = {
  holds: 'holds',
  holdChecks: 'hold_checks',
  repeatAnswers: 'repeat_answers',
  repeatLimits: 'repeat_limits',
  connectionLost: 'connection_lost',
  profanityWarnings: 'profanity_warnings',
  profanityTerminations: 'profanity_terminations',
  escalations: 'escalations',
  skippedContacts: 'skipped_contacts',
} as const satisfies Partial<Record<keyof AdherenceFigures, string>>;

export function emptyFigures(): AdherenceFigures {
  return {
    calls: 0,
    ended: Object.fromEntries(END_REASONS.map((reason) => [reason, 0])),
    holds: 0,
    holdChecks: 0,
    longestHoldSeconds: 0,
    repeatAnswers: 0,
    repeatLimits: 0,
    connectionLost: 0,
    profanityWarnings: 0,
    profanityTerminations: 0,
    escalations: 0,
    skippedContacts: 0,
  };
}

/** Adds `b` into `a`: counts add up, the longest hold is the longer one. */
export function addFigures(a: AdherenceFigures, b: AdherenceFigures): AdherenceFigures {
  a.calls += b.calls;
  for (const [reason, n] of Object.entries(b.ended)) a.ended[reason] = (a.ended[reason] ?? 0) + n;
  for (const name of Object.keys(FIGURE_COLUMNS) as (keyof typeof FIGURE_COLUMNS)[]) a[name] += b[name];
  a.longestHoldSeconds = Math.max(a.longestHoldSeconds, b.longestHoldSeconds);
  return a;
}

/** The two statements of a period's report (the benchmark and the plan test read them). */
export function reportSql(kind: CallStore['kind'], groupBy: GroupBy): { calls: string; history: string } {
  const { where } = scopeOf({ kind: 'period', from: 0, to: 0 });
  return { calls: callsSql(kind, CALL_KEY[groupBy], where), history: historySql(groupBy, where) };
}

/** Figures by group key (as the SQL returns it: an operator id, null, a day number or a call id). */
async function figuresBy(
  store: CallStore,
  group: GroupBy | 'call',
  scope: Scope,
  queries: ReportQueries = store,
): Promise<Map<unknown, AdherenceFigures>> {
  const { where, params } = scopeOf(scope);
  const [calls, history] = await Promise.all([
    queries.query(callsSql(store.kind, CALL_KEY[group], where), params),
    queries.query(historySql(group, where), params),
  ]);
  const groups = new Map<unknown, AdherenceFigures>();
  const groupOf = (k: unknown) => {
    const id = normaliseKey(k);
    let figures = groups.get(id);
    if (!figures) {
      figures = emptyFigures();
      groups.set(id, figures);
    }
    return figures;
  };
  for (const row of calls) {
    const figures = groupOf(row.k);
    const n = Number(row.n);
    figures.calls += n;
    if (row.reason !== null && row.reason !== undefined) {
      const reason = String(row.reason);
      figures.ended[reason] = (figures.ended[reason] ?? 0) + n;
    }
  }
  for (const row of history) {
    const figures = groupOf(row.k);
    for (const [name, column] of Object.entries(FIGURE_COLUMNS) as [keyof typeof FIGURE_COLUMNS, string][]) {
      figures[name] = Number(row[column] ?? 0);
    }
    figures.longestHoldSeconds = row.longest_hold_ms === null ? 0 : Number(row.longest_hold_ms) / 1000;
  }
  return groups;
}

/** SQLite gives a day number as a number, the pg driver a bigint as a number too; ids stay strings. */
function normaliseKey(k: unknown): unknown {
  return typeof k === 'bigint' ? Number(k) : k;
}

export async function adherenceReport(
  store: CallStore,
  period: { from: number; to: number },
  groupBy: GroupBy,
  /** Where the SQL runs: the store, or (SQLite) a reader thread of its own (sqlite-reader.ts). */
  queries: ReportQueries = store,
): Promise<AdherenceReport> {
  const figures = await figuresBy(store, groupBy, { kind: 'period', ...period }, queries);
  let groups: AdherenceGroup[];
  if (groupBy === 'day') {
    // Every day of the period, with zeros where no call started: a chart over days has no gaps.
    groups = [];
    for (let day = dayNumber(period.from); day * DAY_MS < period.to; day++) {
      groups.push({ key: dayKey(day), ...(figures.get(day) ?? emptyFigures()) });
    }
  } else {
    groups = [...figures.entries()]
      .map(([key, f]) => ({ key: key === null ? null : String(key), ...f }))
      .sort((a, b) => (a.key === b.key ? 0 : a.key === null ? 1 : b.key === null ? -1 : a.key < b.key ? -1 : 1));
  }
  const totals = groups.reduce((sum, { key: _key, ...f }) => addFigures(sum, f), emptyFigures());
  return {
    from: new Date(period.from).toISOString(),
    to: new Date(period.to).toISOString(),
    groupBy,
    groups,
    totals,
  };
}

/** One call's figures, by the same SQL (the console's call view). Null: no such call. */
export async function callAdherence(store: CallStore, callId: string): Promise<AdherenceFigures | null> {
  const figures = await figuresBy(store, 'call', { kind: 'call', callId });
  return figures.get(callId) ?? null;
}
