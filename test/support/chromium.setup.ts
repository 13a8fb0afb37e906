/**
 * vitest globalSetup: the browser tests drive Debian's Chromium (/usr/bin/chromium) with
 * playwright-core, which never downloads a browser of its own. A new machine has no Chromium:
 * as root (CI, a fresh developer machine) it is installed here with apt-get; when that is not
 * possible the run fails at once with the reason and the command to run, instead of every
 * browser test failing on its own.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (result.error) throw new Error(`${command} ${args.join(' ')}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.status}`);
}

export default function setup(): void {
  if (existsSync(CHROMIUM_PATH)) return;
  const howTo = 'install it with `apt-get update && apt-get install -y chromium` (as root), or set CHROMIUM_PATH';
  if (process.getuid?.() !== 0) {
    throw new Error(`The browser tests need Chromium at ${CHROMIUM_PATH}, which is missing; ${howTo}.`);
  }
  console.log(`[chromium.setup] ${CHROMIUM_PATH} is missing: installing Debian's chromium package`);
  try {
    run('apt-get', ['update']);
    run('apt-get', ['install', '-y', 'chromium']);
  } catch (error) {
    throw new Error(`Could not install Chromium for the browser tests (${(error as Error).message}); ${howTo}.`);
  }
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`apt-get installed chromium but ${CHROMIUM_PATH} is still missing; ${howTo}.`);
  }
}
