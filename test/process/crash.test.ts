/**
 * SPEC §5: an event acknowledged with 2xx is never lost, not even by kill -9 in the middle
 * of a burst; nothing is half-written; retrying the unacknowledged ones applies each once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CRASH_SEQUENCE, crashScenario, sqliteProbe } from '../support/scenarios.js';

const dir = mkdtempSync(join(tmpdir(), 'callflow-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('kill -9 on SQLite', () => {
  it('40 calls in a burst, SIGKILL half-way: every acknowledged event survives', { timeout: 300_000 }, async () => {
    const databaseUrl = `sqlite:${join(dir, 'crash.db')}`;
    const outcome = await crashScenario({ databaseUrl, probe: sqliteProbe(databaseUrl), calls: 40 });
    expect(outcome.acknowledged + outcome.unacknowledged).toBe(40 * CRASH_SEQUENCE.length);
    console.log(`crash: ${JSON.stringify(outcome)}`);
  });

  it('with SQLITE_SYNCHRONOUS=FULL as well', { timeout: 300_000 }, async () => {
    const databaseUrl = `sqlite:${join(dir, 'crash-full.db')}`;
    const outcome = await crashScenario({
      databaseUrl,
      probe: sqliteProbe(databaseUrl),
      calls: 10,
      env: { SQLITE_SYNCHRONOUS: 'FULL' },
    });
    expect(outcome.acknowledged).toBeGreaterThan(0);
  });
});
