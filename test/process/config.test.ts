/** SPEC §4: a bad setting stops the service at start with a message naming it (exit code 2). */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { START_TIMEOUT_MS } from '../support/scenarios.js';
import { startServer } from '../support/server-process.js';

describe('configuration errors', () => {
  it('the process exits with 2 and names the variable', { timeout: 120_000 }, async () => {
    const error = await startServer({ HOLD_CHECK_SECONDS: '0' }, { timeoutMs: START_TIMEOUT_MS }).then(
      async (server) => {
        await server.kill();
        return null;
      },
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/server exited with 2/);
    expect(error?.message).toContain('HOLD_CHECK_SECONDS');
  });

  it.each([
    ['HOLD_CHECK_SECONDS', '0'],
    ['HOLD_CHECK_SECONDS', 'soon'],
    ['HOLD_CHECK_SECONDS', '-1'],
    ['MAX_REPEATS', '2.5'],
    ['MAX_CONNECTION_ATTEMPTS', '0'],
    ['PORT', '70000'],
    ['LOG_LEVEL', 'loud'],
    ['DATABASE_URL', 'mysql://localhost/x'],
  ])('loadConfig refuses %s=%s', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });

  it('defaults and fractions', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      databaseUrl: 'sqlite:./data/callflow.db',
      logLevel: 'info',
      apiTokens: [],
    });
    expect(config.limits).toEqual({ maxRepeats: 3, maxConnectionAttempts: 3, holdCheckSeconds: 30 });
    expect(loadConfig({ HOLD_CHECK_SECONDS: '0.2' }).limits.holdCheckSeconds).toBe(0.2);
    expect(loadConfig({ API_TOKENS: ' a, b ,,' }).apiTokens).toEqual([
      { token: 'a', role: 'admin' },
      { token: 'b', role: 'admin' },
    ]);
  });
});
