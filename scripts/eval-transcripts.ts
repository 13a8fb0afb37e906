/**
 * `npm run eval:transcripts [-- --set heldout|tune|all|probe] [--file PATH]... [--locale ru] [--errors]`
 *
 * The recogniser's quality on the labelled lines of eval/transcripts/: per event precision,
 * recall and F1, the macro-F1, the false-suggestion rate on lines that must give none, and the
 * accuracy of the suggested data. By default the held-out part (never used for tuning), the
 * whole set, and each probe part (`<locale>.probe*.jsonl`, lines by another hand) on its own. `--file` scores another set in the same format (an independent one); `--errors`
 * lists the lines that went wrong (for tuning: use it on the tune part only).
 */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { CATALOGUES, LOCALES, type Locale } from '../machines/catalogue.js';
import {
  COUNTED,
  EVAL_DIR,
  type EvalLine,
  evaluate,
  heldoutParts,
  probeParts,
  type Report,
  readEvalSet,
} from '../src/transcripts/evaluation.js';

const { values } = parseArgs({
  options: {
    set: { type: 'string', default: 'default' },
    file: { type: 'string', multiple: true, default: [] },
    locale: { type: 'string', default: 'ru' },
    errors: { type: 'boolean', default: false },
  },
});

const locale = values.locale as Locale;
if (!LOCALES.includes(locale)) throw new Error(`--locale must be one of ${LOCALES.join(', ')}`);
const lexicon = CATALOGUES[locale].lexicon;
const part = (name: string) => join(EVAL_DIR, `${locale}.${name}.jsonl`);

const runs: { title: string; lines: EvalLine[] }[] = [];
const heldout = heldoutParts(locale).flatMap(readEvalSet);
const tune = existsSync(part('tune')) ? readEvalSet(part('tune')) : [];
if (values.set === 'default' || values.set === 'heldout') runs.push({ title: `${locale} held-out`, lines: heldout });
if (values.set === 'tune') runs.push({ title: `${locale} tune`, lines: tune });
if (values.set === 'default' || values.set === 'all')
  runs.push({ title: `${locale} full`, lines: [...heldout, ...tune] });
if (values.set === 'default' || values.set === 'probe')
  for (const path of probeParts(locale))
    runs.push({ title: `${locale} probe ${basename(path)}`, lines: readEvalSet(path) });
for (const file of values.file ?? []) runs.push({ title: file, lines: readEvalSet(file) });

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const f3 = (x: number) => x.toFixed(3);

function print(title: string, report: Report) {
  console.log(`\n== ${title}: ${report.lines} lines (a suggestion counts at confidence >= ${COUNTED})`);
  console.log(
    `${'event'.padEnd(28)}${'support'.padStart(8)}${'tp'.padStart(5)}${'fp'.padStart(5)}${'fn'.padStart(5)}  precision  recall     F1`,
  );
  for (const e of report.events) {
    console.log(
      `${e.type.padEnd(28)}${String(e.support).padStart(8)}${String(e.tp).padStart(5)}${String(e.fp).padStart(5)}${String(e.fn).padStart(5)}  ${f3(e.precision).padStart(9)}  ${f3(e.recall).padStart(6)}  ${f3(e.f1).padStart(5)}`,
    );
  }
  console.log(`macro-F1                    ${f3(report.macroF1)}`);
  console.log(
    `false suggestions           ${pct(report.falseSuggestionRate)} of ${report.noSuggestionLines} lines that must give none`,
  );
  console.log(
    `data right                  ${report.data.correct}/${report.data.checked} (${pct(report.data.accuracy)})`,
  );
  if (!values.errors) return;
  for (const r of report.results) {
    if (!r.missing.length && !r.extra.length && !r.wrongData.length) continue;
    const got = r.predicted.map((s) => `${s.type}${s.data ? JSON.stringify(s.data) : ''} ${s.confidence}`).join(', ');
    console.log(
      `  [${r.line.context ?? 'conversation'}] ${r.line.text}\n     missing: ${r.missing.join(', ') || '-'}  extra: ${r.extra.join(', ') || '-'}  data: ${r.wrongData.join(', ') || '-'}  got: ${got || '-'}`,
    );
  }
}

for (const run of runs) print(run.title, evaluate(run.lines, lexicon, locale));
