/**
 * Production runs compiled JavaScript (SPEC §10): the build in dist/ starts with plain `node`,
 * no TypeScript loader, and does the whole job: the SQLite writer thread, a durable hold check,
 * the console and the PostgreSQL-free default store.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../support/api.js';
import { type ServerProcess, startServer } from '../support/server-process.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('the compiled build (npm run build, npm start)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'callflow-compiled-'));
  let server: ServerProcess;
  beforeAll(async () => {
    execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
      cwd: ROOT,
      stdio: 'inherit',
    });
    server = await startServer(
      { DATABASE_URL: `sqlite:${join(dir, 'nested', 'callflow.db')}`, HOLD_CHECK_SECONDS: '0.2', LOG_LEVEL: 'info' },
      { compiled: true },
    );
  }, 180_000);
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is plain JavaScript that loads no TypeScript loader', () => {
    expect(existsSync(join(ROOT, 'dist/src/server.js'))).toBe(true);
    const cmd = readFileSync(`/proc/${server.child.pid}/cmdline`, 'utf8').split('\0');
    expect(cmd.join(' ')).not.toContain('tsx');
    const maps = readFileSync(`/proc/${server.child.pid}/maps`, 'utf8');
    expect(maps).toContain('better_sqlite3.node');
  });

  it('runs a call with a durable hold check through the writer thread', async () => {
    const post = (url: string, body: unknown) =>
      fetch(`${server.url}${url}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await post('/v1/calls', { callId: 'compiled-1', customer: { firstName: 'Иван' } })).status).toBe(201);
    const hold = await post('/v1/calls/compiled-1/events', { type: 'call.hold', id: 'h1' });
    expect(hold.status).toBe(200);
    const history = await until(
      async () => {
        const body = (await (await fetch(`${server.url}/v1/calls/compiled-1/history`)).json()) as {
          events: { type: string; source: string }[];
        };
        return body.events.some((e) => e.type === 'hold.check') ? body : null;
      },
      { timeoutMs: 10_000 },
    );
    expect(history.events.find((e) => e.type === 'hold.check')?.source).toBe('timer');
    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
  });
});
