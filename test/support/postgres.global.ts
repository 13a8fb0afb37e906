/**
 * vitest globalSetup for PostgreSQL. With TEST_DATABASE_URL (or DATABASE_URL) naming a server, test
 * files use it; otherwise the first test file that needs PostgreSQL starts one throwaway server for
 * the whole run (test/support/postgres.ts runPostgres) and this teardown stops it. A run without
 * such tests starts nothing.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { configuredPostgresUrl, stopRunPostgres } from './postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A configured server's URL, or ''. */
    postgresUrl: string;
    /** Where the run's throwaway server is coordinated (test/support/postgres.ts). */
    postgresRunDir: string;
  }
}

export default function setup(project: TestProject) {
  const runDir = mkdtempSync(join(tmpdir(), 'callflow-pgrun-'));
  project.provide('postgresUrl', configuredPostgresUrl() ?? '');
  project.provide('postgresRunDir', runDir);
  return () => stopRunPostgres(runDir);
}
