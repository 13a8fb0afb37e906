/**
 * (f) The adherence report (SPEC §8) over many ended calls: by operator and by UTC day, on SQLite
 * and PostgreSQL. The calls are written straight through the store in commit batches (not over
 * HTTP): a few call scripts are run once through the real statechart (src/calls/change.ts), then
 * their changes are copied for each call with its own id, operator and times. Job rows are left
 * out (the report reads none). Baseline in the same run, on the same database: a naive report's
 * least work, one pass over every history row grouped by type.
 */
import { type CallEvent, toMachineEvent } from '../machines/call.events.js';
import { type CallRuntime, createCallRuntime, type Step } from '../machines/call.runtime.js';
import { eventChange, newCallRecord } from '../src/calls/change.js';
import { adherenceReport } from '../src/reports/adherence.js';
import type { GroupBy } from '../src/reports/schema.js';
import type { ReportQueries } from '../src/reports/sqlite-reader.js';
import type { CallRecord, CallStore, Change, CreateChange, EventChange, EventSource } from '../src/store/types.js';
import { type Spread, spread } from './stats.js';

const HOLD_TIMER = { type: 'xstate.after.holdCheck.call.hold' };
const DAY = 86_400_000;

type ScriptStep = { type: string; data?: Record<string, unknown>; after: number };

/** About 10 events each, every end reason, holds with 0 to 3 checks. */
const SCRIPTS: ScriptStep[][] = [
  [
    { type: 'customer.identified', data: { firstName: 'Иван' }, after: 5 },
    { type: 'call.hold', after: 10 },
    { type: 'hold.check', after: 30 },
    { type: 'call.unhold', after: 10 },
    { type: 'answer.given', after: 20 },
    { type: 'customer.repeat-request', after: 10 },
    { type: 'customer.repeat-request', after: 10 },
    { type: 'customer.repeat-request', after: 10 },
    { type: 'customer.repeat-request', after: 10 },
  ],
  [
    { type: 'customer.identified', data: { firstName: 'Анна', patronymic: 'Сергеевна' }, after: 5 },
    { type: 'customer.location-question', after: 10 },
    { type: 'customer.profanity', after: 10 },
    { type: 'customer.unknown-topic', data: { topic: 'новая рассылка' }, after: 10 },
    { type: 'customer.contact-refused', data: { field: 'phone' }, after: 10 },
    { type: 'call.hold', after: 10 },
    { type: 'call.unhold', after: 12 },
    { type: 'customer.no-card', after: 10 },
    { type: 'customer.third-party', after: 10 },
    { type: 'customer.profanity', after: 10 },
  ],
  [
    { type: 'customer.identified', data: { firstName: 'Пётр' }, after: 5 },
    { type: 'answer.given', after: 30 },
    { type: 'customer.repeat-request', after: 10 },
    { type: 'call.hold', after: 10 },
    { type: 'hold.check', after: 30 },
    { type: 'hold.check', after: 30 },
    { type: 'hold.check', after: 30 },
    { type: 'call.unhold', after: 5 },
    { type: 'customer.prank', after: 10 },
    { type: 'customer.prolonging', after: 20 },
  ],
  [
    { type: 'customer.identified', data: { firstName: 'Ольга' }, after: 5 },
    { type: 'customer.cannot-hear', after: 10 },
    { type: 'connection.restored', after: 5 },
    { type: 'customer.inaudible', after: 10 },
    { type: 'customer.inaudible', after: 5 },
    { type: 'customer.inaudible', after: 5 },
    { type: 'customer.inaudible', after: 5 },
  ],
  [
    { type: 'customer.identified', data: { firstName: 'Олег' }, after: 5 },
    { type: 'customer.non-citizen', after: 20 },
    { type: 'offer.accepted', after: 10 },
    { type: 'customer.contact-refused', data: { field: 'email' }, after: 10 },
    { type: 'customer.non-citizen', after: 20 },
    { type: 'call.hold', after: 10 },
    { type: 'hold.check', after: 30 },
    { type: 'call.unhold', after: 5 },
    { type: 'customer.non-citizen', after: 10 },
    { type: 'offer.declined', after: 10 },
  ],
  [
    { type: 'customer.identified', data: { firstName: 'Мария' }, after: 5 },
    { type: 'customer.location-question', after: 20 },
    { type: 'answer.given', after: 30 },
    { type: 'customer.repeat-request', after: 10 },
    { type: 'customer.unknown-topic', data: { topic: 'новая реклама' }, after: 10 },
    { type: 'call.hold', after: 10 },
    { type: 'hold.check', after: 30 },
    { type: 'hold.check', after: 30 },
    { type: 'call.hangup', data: { by: 'customer' }, after: 5 },
  ],
];

interface Template {
  create: CallRecord;
  /** Each change with its offset from the call's start, ms. */
  steps: { change: EventChange; offset: number }[];
}

const NO_TIMERS: CallRecord['timers'] = [];

/** One script through the real statechart; the job rows it would arm are left out. */
function template(runtime: CallRuntime, script: ScriptStep[]): Template {
  let step: Step = runtime.start({ customer: null });
  let record = newCallRecord(
    { callId: 't', locale: 'ru', operatorId: null, scriptVersion: 1, createFingerprint: '{"callId":"t"}' },
    step,
    runtime,
    0,
  );
  record = { ...record, timers: NO_TIMERS };
  const create = record;
  const steps: Template['steps'] = [];
  let offset = 0;
  for (const s of script) {
    offset += s.after * 1000;
    const timer = s.type === 'hold.check';
    const event = timer ? HOLD_TIMER : toMachineEvent(s.type as CallEvent['type'], s.data ?? {});
    if (!runtime.allows(step.snapshot, event)) throw new Error(`bench script: ${s.type} not allowed`);
    step = runtime.apply(step.snapshot, event);
    const source: EventSource = timer ? 'timer' : 'api';
    const change = eventChange(
      record,
      step,
      { eventId: null, fingerprint: null, type: s.type, data: s.data ?? {}, source },
      runtime,
      offset,
    );
    change.call.timers = NO_TIMERS;
    change.history.timers = NO_TIMERS;
    change.armTimers = [];
    change.cancelTimers = [];
    steps.push({ change, offset });
    record = change.call;
  }
  if (record.status !== 'ended') throw new Error('bench script: the call must end');
  return { create, steps };
}

export interface ReportPlan {
  calls: number;
  operators: number;
  days: number;
  runs: number;
}

export interface ReportResult {
  store: CallStore['kind'];
  calls: number;
  historyRows: number;
  loadSeconds: number;
  /** ms per report, over `runs` after a warm-up run. */
  byOperator: Spread;
  byDay: Spread;
  baseline: Spread;
  groups: { operator: number; day: number };
  totals: { calls: number; holdChecks: number };
}

/** Writes the calls in batches: a chunk's creates, then each step of the chunk's calls. */
export async function loadCalls(store: CallStore, plan: ReportPlan, from: number): Promise<number> {
  const runtime = createCallRuntime({ maxRepeats: 3, maxConnectionAttempts: 3, holdCheckSeconds: 30 });
  const templates = SCRIPTS.map((s) => template(runtime, s));
  const chunk = 1_000;
  let rows = 0;
  const span = plan.days * DAY;
  for (let first = 0; first < plan.calls; first += chunk) {
    const ids = Array.from({ length: Math.min(chunk, plan.calls - first) }, (_, k) => first + k);
    const creates: CreateChange[] = ids.map((i) => {
      const t = templates[i % templates.length]!;
      return { kind: 'create', call: { ...t.create, ...identity(i, plan, from, span) } };
    });
    await commitAll(store, creates);
    const longest = Math.max(...templates.map((t) => t.steps.length));
    for (let k = 0; k < longest; k++) {
      const changes: Change[] = [];
      for (const i of ids) {
        const t = templates[i % templates.length]!;
        const step = t.steps[k];
        if (!step) continue;
        const who = identity(i, plan, from, span);
        const at = who.createdAt + step.offset;
        changes.push({
          ...step.change,
          call: { ...step.change.call, ...who, updatedAt: at },
          history: { ...step.change.history, callId: who.callId, at },
        });
      }
      rows += changes.length;
      await commitAll(store, changes);
    }
  }
  return rows;
}

function identity(i: number, plan: ReportPlan, from: number, span: number) {
  const callId = `bench-${i}`;
  const createdAt = from + Math.floor((i * span) / plan.calls);
  return {
    callId,
    operatorId: `operator-${String(i % plan.operators).padStart(2, '0')}`,
    createdAt,
    createFingerprint: `{"callId":"${callId}"}`,
  };
}

async function commitAll(store: CallStore, changes: Change[]): Promise<void> {
  const outcomes = await store.commit(changes);
  const bad = outcomes.filter((o) => o !== 'ok').length;
  if (bad) throw new Error(`bench: ${bad} of ${changes.length} changes refused`);
}

async function timed(runs: number, run: () => Promise<unknown>): Promise<Spread> {
  await run(); // warm-up: caches, prepared statements
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await run();
    ms.push(performance.now() - t);
  }
  return spread(ms);
}

export async function measureReports(
  store: CallStore,
  plan: ReportPlan,
  prepare?: () => Promise<void>,
  /** Where the route runs the report's SQL (src/reports/readers.ts); the store by default. */
  queries: ReportQueries = store,
): Promise<ReportResult> {
  const from = Date.UTC(2026, 0, 5);
  const started = performance.now();
  const historyRows = await loadCalls(store, plan, from);
  await prepare?.();
  const loadSeconds = (performance.now() - started) / 1000;
  const period = { from, to: from + plan.days * DAY };
  const report = (groupBy: GroupBy) => adherenceReport(store, period, groupBy, queries);
  const [operator, day] = [await report('operator'), await report('day')];
  return {
    store: store.kind,
    calls: plan.calls,
    historyRows,
    loadSeconds,
    byOperator: await timed(plan.runs, () => report('operator')),
    byDay: await timed(plan.runs, () => report('day')),
    baseline: await timed(plan.runs, () => queries.query('SELECT type, COUNT(*) AS n FROM history GROUP BY type')),
    groups: { operator: operator.groups.length, day: day.groups.length },
    totals: { calls: day.totals.calls, holdChecks: day.totals.holdChecks },
  };
}
