/**
 * `npm run bench [-- --quick] [--rounds N] [--only a,b] [--profile | --no-profile] [--profile-target NAME] [--variants] [--no-postgres] [--keep]`
 *
 * Benchmarks, not tests: every figure is printed beside a baseline measured in the same run on
 * the same machine, with the same load generator (autocannon in its own process).
 *   throughput  (a) bare Fastify echo ceiling, (b) POST /v1/calls/:id/events over 10,000 calls,
 *               (b*) an upper bound of (b): bound-server.ts, the statechart step and view, no store,
 *               rounds interleaved so drift hits both; plus latency at an equal offered load;
 *               PostgreSQL (throwaway server), one node and two nodes on one database
 *   sync        (e) SQLITE_SYNCHRONOUS=FULL vs NORMAL
 *   memory      (c) bytes per active call at 100,000 calls (heap and RSS, forced GC)
 *   timers      (d) lateness of hold checks, 10,000 holds spread over 10 s
 *   reports     (f) GET /v1/reports/adherence's SQL over 100,000 ended calls (~10 events each), by
 *               operator and by day, SQLite and PostgreSQL, vs one pass over the history (bench/reports.ts)
 *   transcripts transcript suggestions: p99 per utterance at 1,000 utterances/s vs splitting the same
 *               lines into words (bench/transcripts.ts)
 *   webhooks    the event path with one webhook endpoint answering at once and with a black hole, as
 *               ratios to no endpoint; delivery latency at 1,000 events/s (bench/webhooks.ts)
 *   operations  idle calls and erasure (SPEC §10): secure_delete's cost on the event writes, time to
 *               erase 10,000 ended calls by retention and the event route's p99 meanwhile (bench/operations.ts)
 *   profile     CPU profile of the event path (automatic in a full run when the ratio < 0.5);
 *               --profile-target postgres profiles another target of targets.ts (first node)
 * --variants adds VARIANT_TARGETS (targets.ts: tuning experiments) to the throughput rounds.
 * Results: the table on stdout, bench/results/latest.json (+ a timestamped copy).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type Measured, measure, type Running, startEchoTarget, startTarget } from './events.js';
import { close as closeHttp } from './http.js';
import { type MemoryResult, measureMemory } from './memory.js';
import { formatOperations, measureOperations, type OperationsResult } from './operations.js';
import { killAll, ROOT } from './processes.js';
import { type ProfileSummary, profileEcho, profileTarget } from './profile.js';
import { num, type Row, spreadText, table, verdict } from './report.js';
import { measureReports, type ReportResult } from './reports.js';
import { type Spread, spread } from './stats.js';
import {
  EVENT_TARGETS,
  type EventTarget,
  POSTGRES_TARGETS,
  postgresDatabase,
  SYNC_TARGETS,
  stopPostgres,
  VARIANT_TARGETS,
} from './targets.js';
import { measureTimers, type TimerMode, type TimerResult } from './timers.js';
import { measureTranscripts, TRANSCRIPT_GOALS, type TranscriptResult } from './transcripts.js';
import { measureWebhooks, WEBHOOK_GOALS, type WebhookResult } from './webhooks.js';

const GOALS = { throughputRatio: 0.5, p99Ratio: 1.5, bytesPerCall: 2048, timerP99Ms: 50 };
const SECTIONS = [
  'throughput',
  'sync',
  'memory',
  'timers',
  'reports',
  'transcripts',
  'webhooks',
  'operations',
  'profile',
] as const;
/** The adherence report's goal (issue #12): under 1 s on SQLite; PostgreSQL is printed. */
const REPORT_GOAL_MS = 1000;
type Section = (typeof SECTIONS)[number];

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    only: { type: 'string' },
    profile: { type: 'boolean', default: false },
    'no-profile': { type: 'boolean', default: false },
    'profile-target': { type: 'string' },
    keep: { type: 'boolean', default: false },
    variants: { type: 'boolean', default: false },
    'no-postgres': { type: 'boolean', default: false },
  },
});

const quick = args.quick ?? false;
const plan = {
  mode: quick ? 'quick' : 'full',
  rounds: Number(args.rounds ?? (quick ? 1 : 2)),
  calls: quick ? 2_000 : 10_000,
  connections: [50, 100],
  warmupSeconds: quick ? 1 : 2,
  durationSeconds: quick ? 3 : 10,
  /** Latency at an equal offered load: this share of the event path's throughput, for both. */
  equalLoad: { share: 0.5, connections: 50, durationSeconds: quick ? 3 : 8 },
  sync: {
    calls: 2_000,
    connections: 50,
    warmupSeconds: quick ? 1 : 2,
    durationSeconds: quick ? 3 : 5,
  },
  /** Memory per call: fresh calls at the default cache and with every call cached; and calls
   *  that have had events (idempotency keys, history) at the default cache. */
  memory: {
    warmCalls: 1_000,
    cases: (quick
      ? [{ calls: 50_000, eventsPerCall: 0, cacheSize: 20_000 }]
      : [
          { calls: 100_000, eventsPerCall: 0, cacheSize: 20_000 },
          { calls: 100_000, eventsPerCall: 0, cacheSize: 200_000 },
          { calls: 20_000, eventsPerCall: 10, cacheSize: 20_000 },
        ]) as { calls: number; eventsPerCall: number; cacheSize: number }[],
  },
  timers: {
    calls: quick ? 3_000 : 10_000,
    spreadSeconds: quick ? 3 : 10,
    holdCheckSeconds: 2,
    modes: ['mixed', 'alone'] as TimerMode[],
  },
  reports: { calls: quick ? 20_000 : 100_000, operators: 20, days: 30, runs: quick ? 3 : 5 },
  webhooks: {
    rounds: Number(args.rounds ?? (quick ? 1 : 2)),
    calls: 2_000,
    connections: 50,
    warmupSeconds: quick ? 1 : 2,
    durationSeconds: quick ? 3 : 8,
    latencySeconds: quick ? 3 : 8,
  },
  profile: { connections: 100, warmupSeconds: quick ? 1 : 2, durationSeconds: quick ? 5 : 8 },
};
const only = new Set((args.only ?? SECTIONS.join(',')).split(',').map((s) => s.trim()) as Section[]);
for (const s of only)
  if (!SECTIONS.includes(s)) throw new Error(`--only: unknown section "${s}" (${SECTIONS.join(', ')})`);

const started = Date.now();
const log = (message: string) =>
  process.stderr.write(`[${String(Math.round((Date.now() - started) / 1000)).padStart(4)}s] ${message}\n`);

const dir = mkdtempSync(join(os.tmpdir(), 'callflow-bench-'));
process.on('SIGINT', () => {
  killAll();
  void stopPostgres()
    .catch(() => {})
    .finally(() => process.exit(130));
});

interface ThroughputRun extends Measured {
  round: number;
}

interface TargetSummary {
  target: string;
  label: string;
  connections: number;
  rps: Spread;
  p50: Spread;
  p99: Spread;
  cpuUs: Spread;
  batch: Spread;
  /** Per round: this target's req/s over the echo's (same round, same connections). */
  ratio: Spread | null;
  p99Ratio: Spread | null;
  /** Per round: the echo's CPU per request over this target's; the throughput ratio a CPU-bound
   *  server would reach, and much less noisy than req/s on a shared machine. */
  cpuRatio: Spread | null;
  errors: number;
}

const results: {
  startedAt: string;
  finishedAt?: string;
  seconds?: number;
  machine: Record<string, unknown>;
  git: { commit: string; dirty: boolean };
  plan: typeof plan;
  goals: typeof GOALS;
  throughput?: { runs: ThroughputRun[]; summary: TargetSummary[] };
  equalLoad?: { rate: number; connections: number; runs: Measured[]; p99Ratio: number };
  sync?: { runs: ThroughputRun[]; summary: TargetSummary[]; fullOverNormal: Spread };
  memory?: MemoryResult[];
  timers?: TimerResult[];
  reports?: ReportResult[];
  transcripts?: TranscriptResult;
  webhooks?: WebhookResult;
  operations?: OperationsResult;
  profile?: { echo: ProfileSummary; events: ProfileSummary };
} = {
  startedAt: new Date(started).toISOString(),
  machine: {
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memoryBytes: os.totalmem(),
    loadAverageAtStart: os.loadavg(),
  },
  // What was measured: the commit, and whether the working tree had changes on top of it.
  git: {
    commit: spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim(),
    dirty:
      spawnSync('git', ['status', '--porcelain', '--', 'src', 'machines'], {
        cwd: ROOT,
        encoding: 'utf8',
      }).stdout.trim() !== '',
  },
  plan,
  goals: GOALS,
};

function summarise(runs: ThroughputRun[], target: string, label: string, connections: number): TargetSummary {
  const mine = runs.filter((r) => r.target === target && r.connections === connections);
  const echoOf = (round: number) =>
    runs.find((r) => r.target === 'echo' && r.connections === connections && r.round === round);
  const isEcho = target === 'echo';
  const ratios = mine.map((r) => r.rps / (echoOf(r.round)?.rps ?? Number.NaN));
  const p99Ratios = mine.map((r) => r.latencyMs.p99 / (echoOf(r.round)?.latencyMs.p99 ?? Number.NaN));
  const cpuRatios = mine.map(
    (r) => (echoOf(r.round)?.cpuUsPerRequest ?? Number.NaN) / (r.cpuUsPerRequest ?? Number.NaN),
  );
  return {
    target,
    label,
    connections,
    rps: spread(mine.map((r) => r.rps)),
    p50: spread(mine.map((r) => r.latencyMs.p50)),
    p99: spread(mine.map((r) => r.latencyMs.p99)),
    cpuUs: spread(mine.map((r) => r.cpuUsPerRequest ?? Number.NaN)),
    batch: spread(mine.map((r) => r.meanCommitBatch ?? Number.NaN)),
    ratio: isEcho ? null : spread(ratios),
    p99Ratio: isEcho ? null : spread(p99Ratios),
    cpuRatio: isEcho ? null : spread(cpuRatios),
    errors: mine.reduce((n, r) => n + r.non2xx + r.errors + r.timeouts, 0),
  };
}

function brief(m: Measured): string {
  const bad = m.non2xx + m.errors + m.timeouts;
  return `${num(m.rps)} req/s, p50 ${m.latencyMs.p50} ms, p99 ${m.latencyMs.p99} ms, ${num(m.cpuUsPerRequest)} µs CPU/req${
    bad ? `, ${bad} failed (${JSON.stringify(m.statusCodes)})` : ''
  }`;
}

const throughputTargets: EventTarget[] = [
  ...EVENT_TARGETS,
  ...(args['no-postgres'] ? [] : POSTGRES_TARGETS),
  ...(args.variants ? VARIANT_TARGETS : []),
];

async function throughput(): Promise<void> {
  log(`throughput: starting echo and ${throughputTargets.length} target(s), ${num(plan.calls)} calls each`);
  const echo = await startEchoTarget(dir);
  const targets: Running[] = [];
  const levels = new Map<string, number[]>([['echo', plan.connections]]);
  try {
    // Set up side by side (creating calls on PostgreSQL waits on fsync more than on CPU).
    const started = await Promise.allSettled(throughputTargets.map((t) => startTarget(t, dir, plan.calls)));
    for (const [i, outcome] of started.entries()) {
      const target = throughputTargets[i]!;
      if (outcome.status === 'rejected') continue;
      log(`  ${target.name}: ${num(plan.calls)} calls created in ${num(outcome.value.createSeconds, 1)} s`);
      targets.push(outcome.value);
      levels.set(target.name, target.connections ?? plan.connections);
    }
    const failed = started.find((o) => o.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    const runs: ThroughputRun[] = [];
    for (let round = 1; round <= plan.rounds; round++) {
      for (const connections of plan.connections) {
        for (const running of [echo, ...targets]) {
          if (!levels.get(running.name)?.includes(connections)) continue;
          const m = await measure(running, {
            connections,
            warmupSeconds: plan.warmupSeconds,
            durationSeconds: plan.durationSeconds,
            calls: plan.calls,
          });
          runs.push({ ...m, round });
          log(`  round ${round}/${plan.rounds}, ${connections} conns, ${running.name}: ${brief(m)}`);
        }
      }
    }
    const summary = plan.connections.flatMap((c) =>
      [echo, ...targets].filter((t) => levels.get(t.name)?.includes(c)).map((t) => summarise(runs, t.name, t.label, c)),
    );
    results.throughput = { runs, summary };

    // Latency below saturation: both at the same fixed rate, half of what the event path managed.
    const primary = targets[0];
    const measured = summary.find((s) => s.target === primary?.name && s.connections === plan.equalLoad.connections);
    if (primary && measured && Number.isFinite(measured.rps.median)) {
      const rate = Math.max(100, Math.round((measured.rps.median * plan.equalLoad.share) / 100) * 100);
      const equal: Measured[] = [];
      for (const running of [echo, primary]) {
        const m = await measure(running, {
          connections: plan.equalLoad.connections,
          warmupSeconds: plan.warmupSeconds,
          durationSeconds: plan.equalLoad.durationSeconds,
          calls: plan.calls,
          overallRate: rate,
        });
        equal.push(m);
        log(`  equal load ${num(rate)} req/s, ${running.name}: ${brief(m)}`);
      }
      results.equalLoad = {
        rate,
        connections: plan.equalLoad.connections,
        runs: equal,
        p99Ratio: equal[1]!.latencyMs.p99 / equal[0]!.latencyMs.p99,
      };
    }
  } finally {
    await echo.stop();
    for (const t of targets) await t.stop();
  }
}

async function sync(): Promise<void> {
  log(`sync: ${SYNC_TARGETS.map((t) => t.label).join(' vs ')}, ${num(plan.sync.calls)} calls each`);
  const running: Running[] = [];
  try {
    for (const target of SYNC_TARGETS) running.push(await startTarget(target, dir, plan.sync.calls));
    const runs: ThroughputRun[] = [];
    for (let round = 1; round <= plan.rounds; round++) {
      for (const r of running) {
        const m = await measure(r, plan.sync);
        runs.push({ ...m, round });
        log(`  round ${round}/${plan.rounds}, ${r.name}: ${brief(m)}`);
      }
    }
    const ratios = [];
    for (let round = 1; round <= plan.rounds; round++) {
      const of = (name: string) => runs.find((r) => r.target === name && r.round === round)?.rps ?? Number.NaN;
      ratios.push(of('sqlite-full') / of('sqlite-normal'));
    }
    results.sync = {
      runs,
      summary: running.map((r) => summarise(runs, r.name, r.label, plan.sync.connections)),
      fullOverNormal: spread(ratios),
    };
  } finally {
    for (const r of running) await r.stop();
  }
}

async function memory(): Promise<void> {
  results.memory = [];
  for (const c of plan.memory.cases) {
    log(`memory: ${num(c.calls)} calls, ${c.eventsPerCall} events each, CALL_CACHE_SIZE=${num(c.cacheSize)}`);
    const m = await measureMemory({ ...c, warmCalls: plan.memory.warmCalls, dir });
    results.memory.push(m);
    log(`  heap ${num(m.heapUsedPerCall)} B/call, RSS ${num(m.rssPerCall)} B/call, ${num(m.cachedCalls)} cached`);
  }
}

async function timers(): Promise<void> {
  results.timers = [];
  for (const mode of plan.timers.modes) {
    log(`timers (${mode}): ${num(plan.timers.calls)} holds over ${plan.timers.spreadSeconds} s`);
    const t = await measureTimers({
      ...plan.timers,
      mode,
      dir,
      env: { DATABASE_URL: `sqlite:${join(dir, `timers-${mode}.db`)}` },
    });
    results.timers.push(t);
    log(
      `  lateness p50 ${t.latenessMs.p50} ms, p99 ${t.latenessMs.p99} ms, max ${t.latenessMs.max} ms; holds answered ${num(t.holdRate)}/s`,
    );
  }
}

async function reports(): Promise<void> {
  const { openSqliteStore } = await import('../src/store/sqlite.js');
  const { openPostgresStore } = await import('../src/store/postgres.js');
  const { SqliteReportReader } = await import('../src/reports/sqlite-reader.js');
  const { PostgresReportReader } = await import('../src/reports/postgres-reader.js');
  results.reports = [];
  const stores = [
    {
      kind: 'sqlite',
      open: async () => {
        const file = join(dir, 'reports.db');
        const reader = new SqliteReportReader(file);
        return { store: await openSqliteStore(file), reader, cleanup: () => reader.close() };
      },
    },
    ...(args['no-postgres']
      ? []
      : [
          {
            kind: 'postgres',
            open: async () => {
              const db = await postgresDatabase();
              const reader = new PostgresReportReader(db.url);
              return {
                store: await openPostgresStore(db.url),
                reader,
                cleanup: async () => {
                  await reader.close();
                  await db.cleanup();
                },
              };
            },
          },
        ]),
  ];
  for (const { kind, open } of stores) {
    log(`reports: ${num(plan.reports.calls)} ended calls on ${kind}, loading`);
    // The route's way: the SQL on the report's own thread (SQLite) or pool (PostgreSQL, JIT off).
    const { store, reader, cleanup } = await open();
    try {
      // PostgreSQL plans from statistics and reads the index alone once pages are all-visible:
      // vacuum and analyse after the load, as autovacuum would.
      const prepare = kind === 'postgres' ? async () => void (await store.query('VACUUM ANALYZE')) : undefined;
      const r = await measureReports(store, plan.reports, prepare, reader);
      results.reports.push(r);
      log(
        `  ${kind}: by operator ${num(r.byOperator.median)} ms, by day ${num(r.byDay.median)} ms, baseline ${num(r.baseline.median)} ms (${num(r.historyRows)} history rows)`,
      );
    } finally {
      await store.close();
      await cleanup();
    }
  }
}

async function profile(): Promise<void> {
  const wanted = args['profile-target'] ?? EVENT_TARGETS[0]!.name;
  const all = [...EVENT_TARGETS, ...POSTGRES_TARGETS, ...VARIANT_TARGETS, ...SYNC_TARGETS];
  const target = all.find((t) => t.name === wanted);
  if (!target) throw new Error(`--profile-target: no target "${wanted}" (${all.map((t) => t.name).join(', ')})`);
  const spec = { ...plan.profile, calls: plan.calls };
  log(`profile: echo and ${target.name} under ${spec.connections} connections with --cpu-prof`);
  const echo = await profileEcho(dir, spec);
  log(`  echo: ${brief(echo.load)}`);
  const events = await profileTarget(target, dir, spec);
  // Keep the raw profile beside the results (open it in Chrome DevTools or speedscope).
  const outDir = join(ROOT, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  const kept = join(outDir, `${target.name}-${results.startedAt.replace(/[:.]/g, '-')}.cpuprofile`);
  copyFileSync(events.file, kept);
  results.profile = { echo, events: { ...events, file: kept } };
  log(`  ${target.name}: ${brief(events.load)}; profile ${kept}`);
}

/** The throughput goal of a target: SQLite's by default, its own (or none) when it says so. */
function throughputGoal(target: EventTarget | undefined): number | null {
  return target?.throughputGoal === undefined ? GOALS.throughputRatio : target.throughputGoal;
}

/** (a) the echo ceiling, (b) the event path, (b*) its upper bound, which is not the service (bound-server.ts). */
function rowTag(target: EventTarget | undefined): string {
  if (!target) return '(a)';
  return target.script ? '(b*)' : '(b)';
}

function ratioCell(ratio: Spread, goal: number | null): string {
  const text = spreadText(ratio, 2);
  return goal === null ? text : `${text} >=${goal} ${verdict(ratio.median >= goal)}`;
}

function printTables(): void {
  const out: string[] = [];
  const load = results.machine.loadAverageAtStart as number[];
  out.push(
    '',
    `callflow bench (${plan.mode}): ${plan.rounds} round(s), ${num(plan.calls)} active calls, ${plan.durationSeconds} s runs after ${plan.warmupSeconds} s warm-up`,
    `measured: ${results.git.commit}${results.git.dirty ? ' + uncommitted changes in src/ or machines/' : ''}; node ${process.version}, ${os.cpus().length} CPUs, load average at start ${load.map((l) => l.toFixed(1)).join(' ')}, at end ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
    'figures with rounds: median [min-max] over rounds; ratios are per round against the echo of the same round',
    "CPU ratio: echo CPU µs/req over the target's (server processes only): the throughput ratio if both were CPU-bound",
  );

  if (results.throughput) {
    const rows: Row[] = results.throughput.summary.map((s) => {
      const target = throughputTargets.find((t) => t.name === s.target); // none for the echo
      const goal = throughputGoal(target);
      return [
        `${rowTag(target)} ${s.label}`,
        String(s.connections),
        spreadText(s.rps),
        spreadText(s.p50),
        spreadText(s.p99),
        spreadText(s.cpuUs),
        spreadText(s.batch, 1),
        s.ratio ? ratioCell(s.ratio, goal) : '1',
        s.p99Ratio
          ? `${spreadText(s.p99Ratio, 2)}${goal === null ? '' : ` ${verdict(s.p99Ratio.median <= GOALS.p99Ratio)}`}`
          : '1',
        s.cpuRatio ? spreadText(s.cpuRatio, 2) : '1',
        String(s.errors),
      ];
    });
    out.push(
      '',
      `THROUGHPUT: POST /v1/calls/:id/events, ${throughputTargets.length} target(s) against the bare echo (same requests, same load generator)`,
      table(
        [
          'target',
          'conns',
          'req/s',
          'p50 ms',
          'p99 ms',
          'CPU µs/req',
          'batch',
          'thr. ratio (goal)',
          `p99 ratio (<=${GOALS.p99Ratio})`,
          'CPU ratio',
          'failed',
        ],
        rows,
      ),
    );
  }
  if (results.equalLoad) {
    const e = results.equalLoad;
    out.push(
      '',
      `LATENCY AT EQUAL OFFERED LOAD: ${num(e.rate)} req/s for both (${plan.equalLoad.share} of the event path's throughput), ${e.connections} conns`,
      table(
        ['target', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', `p99 ratio (<=${GOALS.p99Ratio})`],
        e.runs.map((m, i) => [
          m.target,
          num(m.rps),
          num(m.latencyMs.p50),
          num(m.latencyMs.p90),
          num(m.latencyMs.p99),
          i === 0 ? '1' : `${num(e.p99Ratio, 2)} ${verdict(e.p99Ratio <= GOALS.p99Ratio)}`,
        ]),
      ),
    );
  }
  if (results.sync) {
    const s = results.sync;
    out.push(
      '',
      `POWER-LOSS SETTING (e): ${plan.sync.durationSeconds} s runs, ${plan.sync.connections} conns, ${num(plan.sync.calls)} calls, rounds interleaved`,
      table(
        ['setting', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'batch', 'vs NORMAL (same round)', 'failed'],
        s.summary.map((t) => [
          t.label,
          spreadText(t.rps),
          spreadText(t.p50),
          spreadText(t.p99),
          spreadText(t.cpuUs),
          spreadText(t.batch, 1),
          t.target === 'sqlite-full' ? spreadText(s.fullOverNormal, 2) : '1',
          String(t.errors),
        ]),
      ),
    );
  }
  if (results.memory) {
    out.push(
      '',
      'MEMORY PER ACTIVE CALL (c): calls created in-process (then N events each), forced GC before and after',
      table(
        [
          'calls',
          'events/call',
          'CALL_CACHE_SIZE',
          'cached',
          'heap B/call',
          'RSS B/call',
          `goal <= ${GOALS.bytesPerCall} B (heap / RSS)`,
        ],
        results.memory.map((m) => [
          num(m.calls),
          String(m.eventsPerCall),
          `${num(m.cacheSize)}${m.cacheSize === 20_000 ? ' (default)' : ''}`,
          num(m.cachedCalls),
          num(m.heapUsedPerCall),
          num(m.rssPerCall),
          `${verdict(m.heapUsedPerCall <= GOALS.bytesPerCall)} / ${verdict(m.rssPerCall <= GOALS.bytesPerCall)}`,
        ]),
      ),
    );
  }
  if (results.timers) {
    const rows: Row[] = [];
    for (const t of results.timers) {
      const name = `${t.mode}: HOLD_CHECK_SECONDS=${t.holdCheckSeconds}`;
      rows.push(
        [
          `${name}, first check: history at - view dueAt`,
          num(t.latenessMs.n),
          num(t.latenessMs.p50),
          num(t.latenessMs.p99),
          num(t.latenessMs.max),
          verdict(t.latenessMs.p99 <= GOALS.timerP99Ms),
        ],
        [
          `${name}, /metrics timer_lateness (all firings)`,
          num(t.metrics.count),
          `mean ${num(t.metrics.meanMs)}`,
          `<= ${num(t.metrics.p99BucketMs)}`,
          '',
          '',
        ],
        [
          `${name}, call.hold requests (${num(t.holdRate)}/s answered)`,
          num(t.holdRequestMs.n),
          num(t.holdRequestMs.p50),
          num(t.holdRequestMs.p99),
          num(t.holdRequestMs.max),
          '',
        ],
      );
    }
    out.push(
      '',
      `HOLD-CHECK LATENESS (d): ${num(plan.timers.calls)} holds over ${plan.timers.spreadSeconds} s; mixed: checks due while holds arrive, unhold half a period after due; alone: every hold in before the first check`,
      table(['measure', 'n', 'p50 ms', 'p99 ms', 'max ms', `goal p99 <= ${GOALS.timerP99Ms} ms`], rows),
      ...results.timers.map(
        (t) =>
          `${t.mode}: first check fired for ${num(t.fired)} calls, never for ${num(t.missed)}; ${
            t.mode === 'mixed'
              ? `${num(t.repeated)} checked again before their unhold (server behind)`
              : `${num(t.repeated)} re-armed checks fired by the time history was read`
          }; failed requests ${num(t.failedRequests)}`,
      ),
    );
  }
  if (results.reports) {
    const r0 = results.reports[0];
    out.push(
      '',
      `ADHERENCE REPORT (f), the SQL where the route runs it (a thread of its own on SQLite, a pool with JIT off on PostgreSQL): ${num(r0?.calls)} ended calls, ${plan.reports.operators} operators, ${plan.reports.days} days; median [min-max] of ${plan.reports.runs} runs after a warm-up; baseline: one pass over the history grouped by type, same database`,
      table(
        [
          'store',
          'history rows',
          'load s',
          'report',
          'ms',
          'ratio vs baseline',
          `goal < ${REPORT_GOAL_MS} ms (SQLite)`,
        ],
        results.reports.flatMap((r) => [
          [r.store, num(r.historyRows), num(r.loadSeconds, 1), 'baseline', spreadText(r.baseline), '1', ''],
          ...(['byOperator', 'byDay'] as const).map((k) => [
            r.store,
            '',
            '',
            k === 'byOperator' ? `by operator (${r.groups.operator} groups)` : `by day (${r.groups.day} groups)`,
            spreadText(r[k]),
            num(r[k].median / r.baseline.median, 2),
            r.store === 'sqlite' ? verdict(r[k].median < REPORT_GOAL_MS) : '',
          ]),
        ]),
      ),
    );
  }
  if (results.operations) out.push('', formatOperations(results.operations));
  if (results.transcripts) {
    const t = results.transcripts;
    const ms = (x: number) => num(x, 3);
    out.push(
      '',
      `TRANSCRIPT SUGGESTIONS: ${num(t.rate)} utterances/s for ${t.seconds} s, open loop (latency from when each was due), ${t.lines} evaluation lines`,
      table(
        ['measure', 'p50 ms', 'p99 ms', 'max ms', 'p99 ratio', `goal p99 <= ${TRANSCRIPT_GOALS.p99Ms} ms`],
        [
          [
            'baseline: the line split into stemmed words',
            ms(t.baselineMs.p50),
            ms(t.baselineMs.p99),
            ms(t.baselineMs.max),
            '1',
            '',
          ],
          [
            'suggest (lexicon ru, allowed events of the line)',
            ms(t.suggestMs.p50),
            ms(t.suggestMs.p99),
            ms(t.suggestMs.max),
            num(t.p99Ratio, 1),
            verdict(t.suggestMs.p99 <= TRANSCRIPT_GOALS.p99Ms),
          ],
          [
            'the work alone (no waking late): baseline / suggest',
            `${ms(t.baselineServiceMs.p50)} / ${ms(t.suggestServiceMs.p50)}`,
            `${ms(t.baselineServiceMs.p99)} / ${ms(t.suggestServiceMs.p99)}`,
            `${ms(t.baselineServiceMs.max)} / ${ms(t.suggestServiceMs.max)}`,
            num(t.suggestServiceMs.p99 / t.baselineServiceMs.p99, 1),
            '',
          ],
          [
            'one 2,000-character line (the longest taken)',
            ms(t.longLineMs.p50),
            ms(t.longLineMs.p99),
            ms(t.longLineMs.max),
            '',
            '',
          ],
        ],
      ),
      `finished ${ms(t.behindMs)} ms behind schedule`,
    );
  }
  if (results.webhooks) {
    const w = results.webhooks;
    out.push(
      '',
      `WEBHOOKS: POST /v1/calls/:id/events on SQLite, ${plan.webhooks.connections} conns, ${plan.webhooks.rounds} round(s), ratio to no endpoint in the same round`,
      table(
        [
          'target',
          'req/s',
          'events',
          'delivered',
          'p99 ms',
          'CPU µs/req',
          'ratio',
          'CPU ratio',
          `goal >= ${WEBHOOK_GOALS.throughputRatio}`,
        ],
        w.summary.map((s) => [
          s.label,
          spreadText(s.rps),
          spreadText(s.events),
          s.mode === 'none' ? '' : spreadText(s.delivered),
          spreadText(s.p99, 1),
          spreadText(s.cpuUs),
          s.ratio ? spreadText(s.ratio, 2) : '1',
          s.cpuRatio ? spreadText(s.cpuRatio, 2) : '1',
          s.ratio ? verdict(s.ratio.median >= WEBHOOK_GOALS.throughputRatio) : '',
        ]),
      ),
      'events: answered in the measured window; delivered: messages the receiver got in warm-up and window (more than the events when delivery keeps up)',
      `delivery latency, change to the receiver's answer, at ${num(w.latency.rate)} events/s offered (${num(w.latency.eventRps)} answered) for ${w.latency.seconds} s: ${num(w.latency.deliveredMs.n)} deliveries, p50 ${num(w.latency.deliveredMs.p50, 1)} ms, p99 ${num(w.latency.deliveredMs.p99, 1)} ms, max ${num(w.latency.deliveredMs.max, 1)} ms`,
    );
  }
  if (results.profile) {
    const { echo, events } = results.profile;
    const perRequest = (p: ProfileSummary, ms: number) => (ms * 1000) / p.load.requests;
    const areas = events.areas.slice(0, 14).map((a) => a.area);
    for (const a of echo.areas.slice(0, 6)) if (!areas.includes(a.area)) areas.push(a.area);
    const selfOf = (p: ProfileSummary, area: string) => p.areas.find((a) => a.area === area)?.selfMs ?? 0;
    out.push(
      '',
      `PROFILE (--cpu-prof, ${events.load.connections} conns, ${events.windowed ? 'measured window only' : 'whole process'}): self time per answered request`,
      `echo: ${brief(echo.load)}; ${events.load.target}: ${brief(events.load)}`,
      table(
        ['area', 'echo µs/req', `${events.load.target} µs/req`, `${events.load.target} share`],
        [
          ...areas.map((area) => [
            area,
            num(perRequest(echo, selfOf(echo, area))),
            num(perRequest(events, selfOf(events, area))),
            `${num((selfOf(events, area) / events.busyMs) * 100, 1)} %`,
          ]),
          ['total (busy)', num(perRequest(echo, echo.busyMs)), num(perRequest(events, events.busyMs)), '100 %'],
        ],
      ),
      '',
      `top self time, ${events.load.target} (raw profile: ${events.file})`,
      table(
        ['function', 'file', 'area', 'µs/req', 'share'],
        events.top.map((e) => [
          e.name,
          e.where,
          e.area,
          num(perRequest(events, e.selfMs), 1),
          `${num(e.share * 100, 1)} %`,
        ]),
      ),
    );
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

async function main(): Promise<void> {
  log(`callflow bench (${plan.mode}) in ${dir}`);
  if (only.has('throughput')) await throughput();
  if (only.has('sync')) await sync();
  if (only.has('memory')) await memory();
  if (only.has('timers')) await timers();
  if (only.has('reports')) await reports();
  if (only.has('transcripts')) {
    log(`transcripts: ${TRANSCRIPT_GOALS.rate} utterances/s, in this process`);
    results.transcripts = measureTranscripts({ quick });
  }
  if (only.has('webhooks')) {
    log('webhooks: no endpoint, an answering one and a black hole, then delivery latency');
    results.webhooks = await measureWebhooks(dir, plan.webhooks, log);
  }
  if (only.has('operations')) {
    log('operations: secure_delete, retention of ended calls, in this process');
    results.operations = await measureOperations({ quick });
  }
  const ratio = results.throughput?.summary.find((s) => s.target === EVENT_TARGETS[0]?.name)?.ratio?.median;
  const wantProfile =
    args.profile ||
    (only.has('profile') && !quick && !args['no-profile'] && ratio !== undefined && ratio < GOALS.throughputRatio);
  if (wantProfile) await profile();

  results.finishedAt = new Date().toISOString();
  results.seconds = (Date.now() - started) / 1000;
  (results.machine as Record<string, unknown>).loadAverageAtEnd = os.loadavg();
  const outDir = join(ROOT, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  const json = `${JSON.stringify(results, null, 2)}\n`;
  const files = [join(outDir, 'latest.json'), join(outDir, `run-${results.startedAt.replace(/[:.]/g, '-')}.json`)];
  for (const file of files) writeFileSync(file, json);
  // `biome check .` also reads bench/results: write the JSON the way the formatter would.
  const formatted = spawnSync(join(ROOT, 'node_modules', '.bin', 'biome'), ['format', '--write', ...files], {
    encoding: 'utf8',
  });
  if (formatted.status !== 0) log(`biome format of the results failed: ${formatted.stderr || formatted.stdout}`);
  printTables();
  log(`done in ${num(results.seconds)} s; results in bench/results/latest.json`);
}

main()
  .catch((error) => {
    killAll();
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  })
  .finally(async () => {
    closeHttp();
    await stopPostgres().catch((error) => log(`stopping PostgreSQL: ${(error as Error).message}`));
    if (!args.keep) rmSync(dir, { recursive: true, force: true });
  });
