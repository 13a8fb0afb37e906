/** The text report: one line per failing step (or scenario that could not run), then the totals. */
import { type ScenarioResult, stepLabel } from './run.js';

export function failureLines(result: ScenarioResult): string[] {
  if (result.error !== null)
    return [result.error.startsWith(result.file) ? result.error : `${result.file}: ${result.error}`];
  const lines: string[] = [];
  const notRun = result.steps.filter((s) => s.outcome.kind === 'not-run').map((s) => s.index + 1);
  for (const step of result.steps) {
    if (step.failure === null) continue;
    const where = step.line === null ? '' : `, line ${step.line}`;
    const skipped =
      notRun.length > 0 && notRun[0] === step.index + 2
        ? ` (${notRun.length === 1 ? `step ${notRun[0]}` : `steps ${notRun[0]}-${notRun.at(-1)}`} not run)`
        : '';
    lines.push(`${result.file}: step ${step.index + 1} (${stepLabel(step.step)}${where}): ${step.failure}${skipped}`);
  }
  return lines;
}

export interface Totals {
  passed: number;
  failed: number;
}

export function totals(results: ScenarioResult[]): Totals {
  const passed = results.filter((r) => r.passed).length;
  return { passed, failed: results.length - passed };
}

/** The closing line, exactly `N passed, N failed`. */
export function summaryLine(results: ScenarioResult[]): string {
  const { passed, failed } = totals(results);
  return `${passed} passed, ${failed} failed`;
}
