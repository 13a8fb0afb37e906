/**
 * SPEC §10, store faults at start: an unreachable PostgreSQL is waited for (one log line) for up to
 * STORE_CONNECT_TIMEOUT_SECONDS, then the service starts, or exits 1 with one line naming the host
 * and port. A missing SQLite directory is created; one that cannot be written is a configuration
 * error (exit 2), like a bad variable.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { type OwnPostgres, startThrowawayPostgres } from '../support/postgres.js';
import { START_TIMEOUT_MS } from '../support/scenarios.js';
import { freePort, type ServerProcess, startServer } from '../support/server-process.js';

const dir = mkdtempSync(join(tmpdir(), 'callflow-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The process's JSON log lines and its other (plain) lines. */
function linesOf(output: string) {
  const json: Record<string, unknown>[] = [];
  const plain: string[] = [];
  for (const line of output.split('\n').filter((l) => l.trim() !== '')) {
    try {
      json.push(JSON.parse(line));
    } catch {
      plain.push(line);
    }
  }
  return { json, plain };
}

const refusedStart = (env: Record<string, string>) =>
  startServer(env, { timeoutMs: START_TIMEOUT_MS }).then(
    async (server) => {
      await server.kill();
      throw new Error('the server started');
    },
    (error: Error) => error.message,
  );

describe('start-up with the store unavailable', () => {
  it('PostgreSQL down at start, up within STORE_CONNECT_TIMEOUT_SECONDS: the service waits and starts', async () => {
    const port = await freePort();
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    let pg: OwnPostgres | null = null;
    let server: ServerProcess | null = null;
    try {
      let waitingSeen: () => void = () => {};
      const waitingLogged = new Promise<void>((resolve) => (waitingSeen = resolve));
      const starting = startServer(
        { DATABASE_URL: url, STORE_CONNECT_TIMEOUT_SECONDS: '90', LOG_LEVEL: 'info' },
        {
          timeoutMs: START_TIMEOUT_MS + 60_000,
          onOutput: (output) => {
            if (output.includes('"msg":"waiting for')) waitingSeen();
          },
        },
      );
      // PostgreSQL comes up only once the service waits for it (initdb takes a few seconds more).
      await Promise.race([waitingLogged, starting]);
      pg = await startThrowawayPostgres({ port });
      const upAt = Date.now();
      server = await starting;
      const startedMs = Date.now() - upAt;
      const { json } = linesOf(server.output());
      const waiting = json.filter((l) => String(l.msg).startsWith('waiting for'));
      expect(waiting, server.output()).toHaveLength(1);
      expect(waiting[0]?.msg).toContain(`PostgreSQL at 127.0.0.1:${port}`);
      expect(json.filter((l) => Number(l.level) >= 50)).toEqual([]);
      const create = await fetch(`${server.url}/v1/calls`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ callId: 'after-wait' }),
      });
      expect(create.status).toBe(201);
      console.log(`store start-up: ready ${startedMs} ms after PostgreSQL came up; log: ${waiting[0]?.msg}`);
    } finally {
      await server?.kill();
      await pg?.stop();
    }
  }, 180_000);

  it('PostgreSQL still down after the timeout: exit 1 with one line naming host and port, no stack trace', async () => {
    const port = await freePort();
    const started = Date.now();
    const message = await refusedStart({
      DATABASE_URL: `postgres://someone:secret-password@127.0.0.1:${port}/calls`,
      STORE_CONNECT_TIMEOUT_SECONDS: '2',
      LOG_LEVEL: 'info',
    });
    const seconds = (Date.now() - started) / 1000;
    expect(message).toMatch(/^server exited with 1:/);
    const { json, plain } = linesOf(message.replace(/^server exited with 1:\n/, ''));
    expect(plain, message).toHaveLength(1);
    expect(plain[0]).toMatch(
      new RegExp(`^callflow: PostgreSQL at 127\\.0\\.0\\.1:${port} did not answer within 2(\\.\\d)? s`),
    );
    expect(message).not.toMatch(/\n\s+at /);
    expect(message).not.toContain('secret-password');
    expect(json.filter((l) => String(l.msg).startsWith('waiting for'))).toHaveLength(1);
    console.log(
      `store start-up: gave up after ${seconds.toFixed(1)} s (timeout 2 s, process start included): ${plain[0]}`,
    );
  }, 120_000);

  it('a missing SQLite directory is created', async () => {
    const nested = join(dir, 'a', 'b', 'c');
    const server = await startServer(
      { DATABASE_URL: `sqlite:${join(nested, 'calls.db')}` },
      { timeoutMs: START_TIMEOUT_MS },
    );
    try {
      expect(existsSync(join(nested, 'calls.db'))).toBe(true);
    } finally {
      await server.stop();
    }
  }, 120_000);

  it('a SQLite directory that cannot be written: exit 2 with a clear message, like a bad variable', async () => {
    // Under a regular file: no directory can be made there, not even by root.
    const message = await refusedStart({ DATABASE_URL: 'sqlite:/etc/hostname/data/calls.db' });
    expect(message).toMatch(/^server exited with 2:/);
    expect(message).toContain('callflow: configuration error: DATABASE_URL');
    expect(message).toContain('/etc/hostname/data');
    expect(message).not.toMatch(/\n\s+at /);
  }, 120_000);

  it.each(['0', '-1', 'soon'])('loadConfig refuses STORE_CONNECT_TIMEOUT_SECONDS=%s', (value) => {
    expect(() => loadConfig({ STORE_CONNECT_TIMEOUT_SECONDS: value })).toThrow(ConfigError);
    expect(() => loadConfig({ STORE_CONNECT_TIMEOUT_SECONDS: value })).toThrow('STORE_CONNECT_TIMEOUT_SECONDS');
  });

  it('STORE_CONNECT_TIMEOUT_SECONDS defaults to 60 and takes fractions', () => {
    expect(loadConfig({}).storeConnectTimeoutSeconds).toBe(60);
    expect(loadConfig({ STORE_CONNECT_TIMEOUT_SECONDS: '2.5' }).storeConnectTimeoutSeconds).toBe(2.5);
  });
});
