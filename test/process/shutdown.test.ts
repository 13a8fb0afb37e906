/**
 * Graceful shutdown: SIGTERM while requests are in flight. They finish with 2xx and are
 * stored, an open stream does not hold the exit up, the exit code is 0.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { shutdownScenario, sqliteProbe } from '../support/scenarios.js';

const dir = mkdtempSync(join(tmpdir(), 'callflow-shutdown-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SIGTERM on SQLite', () => {
  it('in-flight requests complete with 2xx and are stored; exit code 0', { timeout: 300_000 }, async () => {
    const databaseUrl = `sqlite:${join(dir, 'shutdown.db')}`;
    const outcome = await shutdownScenario({ databaseUrl, probe: sqliteProbe(databaseUrl) });
    expect(outcome.exitCode).toBe(0);
    expect(outcome.burstAnswered + outcome.burstRefused).toBe(10);
  });
});
