/**
 * JUnit XML (the format CI servers read): one testsuite, a testcase per scenario, and a
 * failure element per failing scenario whose text lists its failing steps.
 */
import { create } from 'xmlbuilder2';
import { failureLines, totals } from './report.js';
import type { ScenarioResult } from './run.js';

const seconds = (ms: number) => (ms / 1000).toFixed(3);

export function junitXml(results: ScenarioResult[], options: { suite?: string; timestamp?: Date } = {}): string {
  const { failed } = totals(results);
  const time = seconds(results.reduce((sum, r) => sum + r.durationMs, 0));
  // Characters XML 1.0 cannot hold are dropped rather than failing the whole report.
  const doc = create({ version: '1.0', encoding: 'UTF-8', invalidCharReplacement: '' });
  const suites = doc.ele('testsuites', {
    name: options.suite ?? 'callflow scenarios',
    tests: results.length,
    failures: failed,
    errors: 0,
    time,
  });
  const suite = suites.ele('testsuite', {
    name: options.suite ?? 'callflow scenarios',
    tests: results.length,
    failures: failed,
    errors: 0,
    skipped: 0,
    time,
    timestamp: (options.timestamp ?? new Date()).toISOString().replace(/\.\d{3}Z$/, ''),
  });
  for (const result of results) {
    const testcase = suite.ele('testcase', {
      name: result.name,
      classname: result.file,
      file: result.file,
      time: seconds(result.durationMs),
    });
    if (result.passed) continue;
    const lines = failureLines(result);
    const failing = result.steps.filter((s) => s.failure !== null).length;
    testcase
      .ele('failure', {
        type: result.error !== null ? 'not-run' : 'step',
        message:
          result.error !== null
            ? (lines[0]?.split('\n')[0] ?? 'not run')
            : `${failing} failing step${failing === 1 ? '' : 's'}`,
      })
      .txt(lines.join('\n'));
  }
  return doc.end({ prettyPrint: true });
}
