import { beforeEach } from 'vitest';

/**
 * Runs `setUp` once, before the first test of the suite. From beforeEach, not beforeAll: if it
 * fails (no PostgreSQL, say), every test fails with its error; a failed beforeAll would report
 * them as skipped.
 */
export function beforeFirstTest(setUp: () => Promise<void>, timeoutMs?: number): void {
  let done: Promise<void> | null = null;
  beforeEach(async () => {
    done ??= setUp();
    await done;
  }, timeoutMs);
}
