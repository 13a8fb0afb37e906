/**
 * The shipped scenarios (scenarios/*.yaml) encode SPEC §2: every one passes in-process, together
 * they cover the 15 seed situations, every prompt, every end reason and the counting rules, and
 * a machine with a rule broken fails them.
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCallRuntime } from '../../machines/call.runtime.js';
import { END_REASONS, PROMPT_KEYS, scenarioJsonSchema } from '../../src/scenarios/format.js';
import { inProcessDriver } from '../../src/scenarios/in-process.js';
import { loadScenarioFile, parseScenario } from '../../src/scenarios/load.js';
import { failureLines } from '../../src/scenarios/report.js';
import { runScenario } from '../../src/scenarios/run.js';
import { runFiles, SHIPPED_DIR, scenarioFiles } from '../../src/scenarios/suite.js';

const files = await scenarioFiles([SHIPPED_DIR]);
const loaded = await Promise.all(files.map(loadScenarioFile));

describe('shipped scenarios, in-process', () => {
  it('there are the 15 seed situations and the counting and hold-check flows', () => {
    const names = files.map((f) => basename(f));
    for (let n = 1; n <= 15; n++) {
      expect(
        names.some((name) => name.startsWith(`${String(n).padStart(2, '0')}-`)),
        `situation ${n}`,
      ).toBe(true);
    }
    for (const name of [
      'counting-repeats-reset.yaml',
      'counting-attempts-mixed.yaml',
      'counting-episode-reset.yaml',
      'counting-repeat-survives-hold.yaml',
      'counting-profanity.yaml',
      'hold-check-rearming.yaml',
    ]) {
      expect(names).toContain(name);
    }
  });

  it.each(files.map((file) => [basename(file), file]))('%s passes', async (_, file) => {
    const [result] = await runFiles([file]);
    expect(failureLines(result!)).toEqual([]);
    expect(result!.passed).toBe(true);
    expect(result!.steps.length).toBeGreaterThan(0);
  });

  it('together they expect every prompt the machine can emit and every end reason', () => {
    const expects = loaded.flatMap((l) => l.scenario.steps.map((s) => s.expect ?? {}));
    const prompts = new Set(expects.flatMap((e) => e.prompts ?? []));
    // The greeting is the start of every call, not a step's prompt.
    expect([...prompts, 'greeting'].sort()).toEqual([...PROMPT_KEYS].sort());
    const reasons = new Set(expects.map((e) => e.endReason).filter((r) => typeof r === 'string'));
    expect([...reasons].sort()).toEqual([...END_REASONS].sort());
  });

  it('every step of a shipped scenario checks something', () => {
    for (const l of loaded) {
      const checked = l.scenario.steps.filter((s) => s.expect && Object.keys(s.expect).length > 0).length;
      // Set-up steps may go unchecked, but most steps must say what they expect.
      expect(checked / l.scenario.steps.length, l.file).toBeGreaterThanOrEqual(0.5);
    }
  });

  it.each([
    [
      'repeats',
      { maxRepeats: 4 },
      ['05-repeat.yaml', 'counting-repeats-reset.yaml', 'counting-repeat-survives-hold.yaml'],
    ],
    [
      'connection attempts',
      { maxConnectionAttempts: 2 },
      ['07-cannot-hear.yaml', '08-inaudible.yaml', 'counting-attempts-mixed.yaml', 'counting-episode-reset.yaml'],
    ],
  ] as const)('a machine counting %s differently fails the scenarios of that rule', async (_, limits, failing) => {
    const runtime = createCallRuntime({ maxRepeats: 3, maxConnectionAttempts: 3, holdCheckSeconds: 30, ...limits });
    const results = await runFiles(files, { runtime });
    const failed = results.filter((r) => !r.passed).map((r) => basename(r.file));
    expect(failed.sort()).toEqual([...failing].sort());
  });

  it('scenarios/scenario.schema.json is the one generated from the TypeBox schemas (npm run scenarios:schema)', () => {
    const onDisk = JSON.parse(readFileSync(join(SHIPPED_DIR, 'scenario.schema.json'), 'utf8'));
    expect(onDisk).toEqual(scenarioJsonSchema());
  });
});

describe('docs/scenarios.md', () => {
  it('its example scenario is valid and passes', async () => {
    const doc = readFileSync(new URL('../../docs/scenarios.md', import.meta.url), 'utf8');
    const example = /```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(example).toBeDefined();
    const result = await runScenario(parseScenario(example!, 'docs/scenarios.md'), inProcessDriver());
    expect(failureLines(result)).toEqual([]);
    expect(result.steps.length).toBeGreaterThan(5);
  });
});
