/**
 * The shipped scenarios against a live service process (`--url`, `--token`): the same files
 * pass over HTTP, with real hold checks (a short HOLD_CHECK_SECONDS) instead of a simulated clock.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHIPPED_DIR, scenarioFiles } from '../../src/scenarios/suite.js';
import { runScenariosCli } from '../support/cli.js';
import { type ServerProcess, startServer } from '../support/server-process.js';

const TOKEN = 'scenario-token-1';
let server: ServerProcess;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'callflow-scenarios-'));
  server = await startServer(
    { DATABASE_URL: `sqlite:${join(dir, 'callflow.db')}`, HOLD_CHECK_SECONDS: '0.3', API_TOKENS: TOKEN },
    { timeoutMs: 90_000 },
  );
}, 120_000);

afterAll(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const SLOW = 120_000;

describe('npm run scenarios -- --url', () => {
  it(
    'every shipped scenario passes against the running service',
    async () => {
      const shipped = await scenarioFiles([SHIPPED_DIR]);
      const run = await runScenariosCli(['--url', server.url, '--token', TOKEN]);
      expect(run.stderr).toBe('');
      expect(run.stdout).toBe(`${shipped.length} passed, 0 failed\n`);
      expect(run.code).toBe(0);
      // Each run is its own call: the service now holds one per scenario.
      const res = await fetch(`${server.url}/v1/calls?limit=500`, { headers: { authorization: `Bearer ${TOKEN}` } });
      const { calls } = (await res.json()) as { calls: { callId: string }[] };
      expect(calls.filter((c) => c.callId.startsWith('scn-')).length).toBe(shipped.length);
    },
    SLOW,
  );

  it(
    'a wrong expectation fails over HTTP too, naming the step; a hold check is waited for for real',
    async () => {
      const file = join(dir, 'wrong.yaml');
      writeFileSync(
        file,
        'name: wrong over http\nsteps:\n  - event: call.hold\n  - wait: hold.check\n    expect: { prompts: [hold.return], state: hold }\n  - event: call.unhold\n  - wait: hold.check\n',
      );
      const started = Date.now();
      const run = await runScenariosCli([file, '--url', server.url, '--token', TOKEN]);
      expect(run.code).toBe(1);
      expect(run.stdout.trimEnd().split('\n')).toEqual([
        `${file}: step 2 (wait hold.check, line 4): prompts: expected [hold.return], got [hold.check]`,
        expect.stringMatching(
          new RegExp(
            `^${file.replace(/[.]/g, '\\.')}: step 4 \\(wait hold\\.check, line 7\\): no hold\\.check is pending`,
          ),
        ),
        '0 passed, 1 failed',
      ]);
      // The check fired after a real 0.3 s (the CLI's own start-up takes longer than that anyway).
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    },
    SLOW,
  );

  it(
    'without the token the service refuses, and every scenario fails saying so',
    async () => {
      const run = await runScenariosCli([join(SHIPPED_DIR, '06-prank.yaml'), '--url', server.url]);
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/06-prank\.yaml: the call could not be started: .*401/);
      expect(run.stdout).toMatch(/^0 passed, 1 failed$/m);
    },
    SLOW,
  );
});
