/**
 * Child processes of a benchmark: the real server (src/server.ts), the bare echo server and
 * the load generator each run in their own Node process, so none of them shares an event loop
 * or a CPU time slice with the orchestrator.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/support/server-process.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * The node flags of `npm start` (package.json) and the Dockerfile, given to the service and to
 * the echo baseline alike. A 32 MB young generation (V8's default is 16): cached calls live for
 * a few hundred milliseconds between their events, long enough to be copied by scavenges and
 * promoted at the default size; measured +20-25% events/s on SQLite, 3 of 4 paired runs.
 */
export const SERVICE_NODE_FLAGS = ['--max-semi-space-size=32'];

export interface Service {
  name: string;
  url: string;
  pid: number;
  /** What the process wrote to stderr so far (stdout goes to `logFile`). */
  errors(): string;
  logFile: string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

export interface StartOptions {
  name: string;
  /** Script relative to the project root, run with `node --import tsx`. */
  script: string;
  env: Record<string, string>;
  /** Where stdout (the request log at LOG_LEVEL=info) goes: a file, like a real deployment. */
  dir: string;
  nodeArgs?: string[];
  readyPath?: string;
  timeoutMs?: number;
}

/** Every child this process started and has not seen exit (stopped on Ctrl-C by run.ts). */
const live = new Set<ChildProcess>();

export function killAll(): void {
  for (const child of live) child.kill('SIGKILL');
}

export async function startService(options: StartOptions): Promise<Service> {
  const port = await freePort();
  const logFile = join(options.dir, `${options.name}.${port}.log`);
  const out = openSync(logFile, 'a');
  let errors = '';
  const child: ChildProcess = spawn(
    process.execPath,
    // Every server of the benchmark runs with the service's flags; a target's own come after.
    [...SERVICE_NODE_FLAGS, ...(options.nodeArgs ?? []), '--import', 'tsx', options.script],
    {
      cwd: ROOT,
      env: { ...process.env, HOST: '127.0.0.1', ...options.env, PORT: String(port) },
      stdio: ['ignore', out, 'pipe'],
    },
  );
  closeSync(out);
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.stderr?.on('data', (d) => {
    if (errors.length < 100_000) errors += d;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${options.name} exited with ${child.exitCode}:\n${errors}`);
    try {
      const res = await fetch(`${url}${options.readyPath ?? '/readyz'}`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${options.name} did not become ready:\n${errors}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    name: options.name,
    url,
    pid: child.pid ?? 0,
    logFile,
    errors: () => errors,
    async stop(graceMs = 15_000) {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** The real service (src/server.ts), LOG_LEVEL=warn unless `env` says otherwise. */
export function startCallflow(
  name: string,
  dir: string,
  env: Record<string, string>,
  nodeArgs: string[] = [],
): Promise<Service> {
  return startService({
    name,
    script: 'src/server.ts',
    dir,
    env: { LOG_LEVEL: 'warn', ...env },
    nodeArgs,
  });
}

export function startEcho(dir: string, nodeArgs: string[] = []): Promise<Service> {
  return startService({
    name: 'echo',
    script: 'bench/echo-server.ts',
    dir,
    env: {},
    readyPath: '/healthz',
    nodeArgs,
  });
}

/** Runs a Node script to completion and parses the last line of its stdout as JSON. */
export async function runJsonChild<T>(script: string, input: unknown, nodeArgs: string[] = []): Promise<T> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script, JSON.stringify(input)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const last = stdout.trim().split('\n').at(-1) ?? '';
  if (code !== 0 || !last.startsWith('{')) throw new Error(`${script} failed (exit ${code}):\n${stderr}\n${stdout}`);
  return JSON.parse(last) as T;
}
