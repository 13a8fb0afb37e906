/**
 * Start-up time: from spawning the service to its first 200 on /readyz, on a new SQLite file,
 * for the compiled build (`npm start`, the image) against the TypeScript sources through tsx
 * (the first release's `npm start`), alternated in one run so both see the same machine.
 * `npm run bench:startup [-- --runs N]`
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '../test/support/server-process.js';

const { values } = parseArgs({ options: { runs: { type: 'string' } } });
const runs = Number(values.runs ?? 7);
const variants = {
  compiled: ['--max-semi-space-size=32', 'dist/src/server.js'],
  'sources (tsx)': ['--max-semi-space-size=32', '--import', 'tsx', 'src/server.ts'],
} as const;

async function startOnce(args: readonly string[]): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'callflow-startup-'));
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [...args], {
    env: { ...process.env, PORT: String(port), LOG_LEVEL: 'warn', DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}` },
    stdio: 'ignore',
  });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}`);
      try {
        if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) return performance.now() - started;
      } catch {}
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

const samples: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
for (let i = 0; i < runs; i++) {
  for (const [name, args] of Object.entries(variants)) samples[name]!.push(await startOnce(args));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const base = median(samples['sources (tsx)']!);
for (const [name, xs] of Object.entries(samples)) {
  const m = median(xs);
  console.log(
    `${name.padEnd(14)} median ${m.toFixed(0)} ms [${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)}], ratio to sources ${(m / base).toFixed(2)}`,
  );
}
