/**
 * Transcript suggestions (SPEC §12): latency per utterance at a fixed offered rate (open loop:
 * utterance i is due at start + i / rate, and its latency counts from when it was due, so a
 * recogniser that falls behind pays for the queue), beside a baseline in the same run: the same
 * lines only split into stemmed words, the least any recogniser of words must do.
 * The lines are the labelled evaluation set (real-call register), each said where its label
 * says; plus the cost of a 2,000-character line, the longest the API takes.
 *
 * Alone: `node --import tsx bench/transcripts.ts [--quick]`; in `npm run bench` as a section.
 */
import { performance } from 'node:perf_hooks';
import { CATALOGUES } from '../machines/catalogue.js';
import { compiledLexicon } from '../src/transcripts/compile.js';
import { allowedByContext, type Context, heldoutParts, readEvalSet } from '../src/transcripts/evaluation.js';
import { shippedNames } from '../src/transcripts/names.js';
import { suggest } from '../src/transcripts/suggest.js';
import { tokenise } from '../src/transcripts/tokens.js';
import { type Percentiles, percentiles } from './stats.js';

export const TRANSCRIPT_GOALS = { p99Ms: 2, rate: 1000 };

export interface TranscriptResult {
  rate: number;
  seconds: number;
  lines: number;
  /** Per utterance, ms from due to done (what a caller waits). */
  suggestMs: Percentiles;
  baselineMs: Percentiles;
  /** Per utterance, ms from start to done (the work alone, without waking late). */
  suggestServiceMs: Percentiles;
  baselineServiceMs: Percentiles;
  p99Ratio: number;
  /** How far behind schedule the last utterance finished (0: kept up). */
  behindMs: number;
  longLineMs: Percentiles;
}

type Work = (text: string, context: Context) => unknown;

/** Sleeps the thread until `untilMs` (performance.now time) without spinning a core. */
const sleeper = new Int32Array(new SharedArrayBuffer(4));
function sleepUntil(untilMs: number): void {
  const wait = untilMs - performance.now();
  if (wait > 0.6) Atomics.wait(sleeper, 0, 0, wait - 0.5);
  while (performance.now() < untilMs) {
    // the last half millisecond: wait more precisely than the OS sleeps
  }
}

function openLoop(
  work: Work,
  lines: { text: string; context: Context }[],
  rate: number,
  seconds: number,
): { ms: number[]; serviceMs: number[]; behindMs: number } {
  const count = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const ms: number[] = new Array(count);
  const serviceMs: number[] = new Array(count);
  const start = performance.now() + 5;
  let end = start;
  for (let i = 0; i < count; i++) {
    const due = start + i * interval;
    sleepUntil(due);
    const line = lines[i % lines.length]!;
    const began = performance.now();
    work(line.text, line.context);
    end = performance.now();
    ms[i] = end - due;
    serviceMs[i] = end - began;
  }
  return { ms, serviceMs, behindMs: Math.max(0, end - (start + (count - 1) * interval)) };
}

export function measureTranscripts(options: { quick?: boolean } = {}): TranscriptResult {
  const seconds = options.quick ? 3 : 10;
  const rate = TRANSCRIPT_GOALS.rate;
  const lexicon = CATALOGUES.ru.lexicon;
  const allowed = allowedByContext();
  const lines = [...heldoutParts('ru').flatMap(readEvalSet)].map((l) => ({
    text: l.text,
    context: (l.context ?? 'conversation') as Context,
  }));
  const compiled = compiledLexicon(lexicon, 'ru', shippedNames('ru'));
  const recognise: Work = (text, context) =>
    suggest(text, { speaker: 'customer', allowedEvents: allowed[context], lexicon, locale: 'ru' });
  const baseline: Work = (text) => tokenise(text, compiled.tokens);

  // Warm up both (JIT, stem caches) before anything is timed.
  for (let i = 0; i < 3; i++) {
    for (const l of lines) {
      recognise(l.text, l.context);
      baseline(l.text, l.context);
    }
  }

  const measuredBaseline = openLoop(baseline, lines, rate, seconds);
  const measured = openLoop(recognise, lines, rate, seconds);

  const long = `${'ну вот я вам звоню по поводу газеты и карточки и вообще хотела узнать '.repeat(40)}`.slice(0, 2000);
  const longMs: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    recognise(long, 'conversation');
    longMs.push(performance.now() - t0);
  }

  const suggestMs = percentiles(measured.ms);
  const baselineMs = percentiles(measuredBaseline.ms);
  return {
    rate,
    seconds,
    lines: lines.length,
    suggestMs,
    baselineMs,
    suggestServiceMs: percentiles(measured.serviceMs),
    baselineServiceMs: percentiles(measuredBaseline.serviceMs),
    p99Ratio: suggestMs.p99 / baselineMs.p99,
    behindMs: measured.behindMs,
    longLineMs: percentiles(longMs),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = measureTranscripts({ quick: process.argv.includes('--quick') });
  const f = (x: number) => x.toFixed(3);
  console.log(`transcript suggestions at ${r.rate} utterances/s for ${r.seconds} s (${r.lines} distinct lines)`);
  console.log(`  suggest   p50 ${f(r.suggestMs.p50)} ms  p99 ${f(r.suggestMs.p99)} ms  max ${f(r.suggestMs.max)} ms`);
  console.log(`  baseline  p50 ${f(r.baselineMs.p50)} ms  p99 ${f(r.baselineMs.p99)} ms  (words only)`);
  console.log(
    `  work alone: suggest p99 ${f(r.suggestServiceMs.p99)} ms, baseline p99 ${f(r.baselineServiceMs.p99)} ms`,
  );
  console.log(`  p99 ratio ${r.p99Ratio.toFixed(1)}x the baseline; goal p99 <= ${TRANSCRIPT_GOALS.p99Ms} ms`);
  console.log(`  2,000-character line: p50 ${f(r.longLineMs.p50)} ms, p99 ${f(r.longLineMs.p99)} ms`);
}
