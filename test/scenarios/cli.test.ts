/**
 * `npm run scenarios` as a QA person runs it: the CLI as a child process, its lines, its exit
 * code and its JUnit XML (read with an independent XML parser).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHIPPED_DIR, scenarioFiles } from '../../src/scenarios/suite.js';
import { runScenariosCli } from '../support/cli.js';

const runCli = runScenariosCli;

const WRONG = `name: a wrong expectation
customer: { firstName: Иван }
steps:
  - event: answer.given
  - event: customer.repeat-request
    expect:
      prompts: [repeat.limit]
      counters: { repeats: 1 }
  - event: customer.location-question
    expect: { prompts: [info.location] }
`;

const GOOD = `name: a right expectation
steps:
  - event: call.hold
    expect: { prompts: [hold.start], state: hold }
  - wait: hold.check
    expect: { prompts: [hold.check] }
`;

const STUCK = `name: a wait with nothing pending
steps:
  - event: answer.given
  - wait: hold.check
  - event: call.hold
  - event: call.unhold
`;

const INVALID = `name: invalid
steps:
  - event: answer.given
  - event: customer.unknown-topic
    data: { subject: x }
`;

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'scenarios-cli-'));
  await writeFile(join(dir, 'wrong.yaml'), WRONG);
  await writeFile(join(dir, 'good.yaml'), GOOD);
  await writeFile(join(dir, 'stuck.yaml'), STUCK);
  await writeFile(join(dir, 'invalid.yaml'), INVALID);
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  isArray: (name) => name === 'testcase',
});

describe('npm run scenarios', () => {
  it('with no files it runs the shipped scenarios/*.yaml, all passing', async () => {
    const shipped = await scenarioFiles([SHIPPED_DIR]);
    const run = await runCli([]);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe(`${shipped.length} passed, 0 failed\n`);
    expect(run.code).toBe(0);
  });

  it('a wrong expectation fails with exit code 1, naming the file, the step, what was expected and what came', async () => {
    const run = await runCli([join(dir, 'wrong.yaml')]);
    expect(run.code).toBe(1);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines).toEqual([
      `${join(dir, 'wrong.yaml')}: step 2 (customer.repeat-request, line 5): prompts: expected [repeat.limit], got [repeat.answer]`,
      '0 passed, 1 failed',
    ]);
  });

  it('a step that cannot be carried out ends its scenario and says which steps did not run', async () => {
    const run = await runCli([join(dir, 'stuck.yaml'), join(dir, 'good.yaml')]);
    expect(run.code).toBe(1);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /stuck\.yaml: step 2 \(wait hold\.check, line 4\): no hold\.check is pending .*\(steps 3-4 not run\)$/,
    );
    expect(lines.at(-1)).toBe('1 passed, 1 failed');
    expect(lines).toHaveLength(2);
  });

  it('an invalid file is an error naming the file and the line, counted as failed', async () => {
    const run = await runCli([join(dir, 'invalid.yaml'), join(dir, 'good.yaml')]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(
      `${join(dir, 'invalid.yaml')}:5: steps[1].data: needs "topic"\n` +
        `${join(dir, 'invalid.yaml')}:5: steps[1].data.subject: is not a known field\n` +
        '1 passed, 1 failed\n',
    );
  });

  it('a file that does not exist fails by name', async () => {
    const run = await runCli([join(dir, 'missing.yaml')]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/missing\.yaml:1: cannot read/);
    expect(run.stdout).toMatch(/^0 passed, 1 failed$/m);
  });

  it('a directory stands for its .yaml files; --junit writes JUnit XML with the right counts', async () => {
    const xmlFile = join(dir, 'report.xml');
    const run = await runCli([dir, '--junit', xmlFile]);
    expect(run.code).toBe(1);
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe('1 passed, 3 failed');
    const xml = await readFile(xmlFile, 'utf8');
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = parser.parse(xml);
    const suite = doc.testsuites.testsuite;
    expect(Array.isArray(suite)).toBe(false);
    expect(suite['@tests']).toBe('4');
    expect(suite['@failures']).toBe('3');
    const cases = suite.testcase as Record<string, unknown>[];
    expect(cases.map((c) => c['@name'])).toEqual([
      'a right expectation',
      'invalid.yaml',
      'a wait with nothing pending',
      'a wrong expectation',
    ]);
    const failures = cases.filter((c) => c.failure !== undefined);
    expect(failures).toHaveLength(3);
    expect(cases[0]!.failure).toBeUndefined();
    const wrong = cases[3]!.failure as Record<string, string>;
    expect(wrong['@message']).toBe('1 failing step');
    expect(wrong['#text']).toContain(
      'step 2 (customer.repeat-request, line 5): prompts: expected [repeat.limit], got [repeat.answer]',
    );
    const invalid = cases[1]!.failure as Record<string, string>;
    expect(invalid['#text']).toContain('invalid.yaml:5: steps[1].data.subject: is not a known field');
  });

  it('usage errors exit 2 with the usage', async () => {
    const run = await runCli(['--bogus']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/usage: npm run scenarios/);
    const badUrl = await runCli(['--url', 'localhost:3000']);
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toMatch(/--url must be an http/);
  });
});
