/**
 * SPEC §5: a hold timer outlives the process. A check that came due while the service was
 * down fires at once after the restart; one not yet due fires on time; none fires twice.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { restartScenario, sqliteProbe } from '../support/scenarios.js';

const dir = mkdtempSync(join(tmpdir(), 'callflow-restart-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('restart on SQLite', () => {
  it('fires the overdue check at once and the pending one on time, each once', { timeout: 300_000 }, async () => {
    const databaseUrl = `sqlite:${join(dir, 'restart.db')}`;
    const outcome = await restartScenario({ databaseUrl, probe: sqliteProbe(databaseUrl), log: console.log });
    expect(outcome.a.firedAt).toBeGreaterThanOrEqual(outcome.a.dueAt);
    expect(outcome.b.firedAt).toBeGreaterThanOrEqual(outcome.b.dueAt);
  });
});
