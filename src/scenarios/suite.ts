/** Finding scenario files and running a set of them, in-process or against a service. */
import { readdir, stat } from 'node:fs/promises';
import { basename, extname, isAbsolute, join, relative } from 'node:path';
import type { CallRuntime } from '../../machines/call.runtime.js';
import { projectPath } from '../paths.js';
import type { HttpTarget } from './http.js';
import { inProcessDriver } from './in-process.js';
import { loadScenarioFile, ScenarioFileError } from './load.js';
import { runScenario, type ScenarioResult } from './run.js';

/** The scenarios shipped with the project (scenarios/ at the repository root). */
export const SHIPPED_DIR = `${projectPath('scenarios')}/`;

const isScenarioFile = (name: string) => ['.yaml', '.yml'].includes(extname(name));

/** Files as given; a directory stands for its *.yaml / *.yml files, sorted. */
export async function scenarioFiles(paths: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    let isDirectory = false;
    try {
      isDirectory = (await stat(path)).isDirectory();
    } catch {
      // not there: loadScenarioFile reports it with the file's name
    }
    if (!isDirectory) {
      files.push(path);
      continue;
    }
    const names = (await readdir(path)).filter(isScenarioFile).sort();
    files.push(...names.map((name) => join(path, name)));
  }
  return files;
}

export interface RunOptions {
  /** Against a running service; in-process (the statechart, a simulated clock) without it. */
  target?: HttpTarget;
  /** How the file is named in reports (default: relative to the working directory). */
  displayName?: (file: string) => string;
  /** In-process: the runtime to drive (default limits otherwise). */
  runtime?: CallRuntime;
  /** Scenarios run at once against a service (waits take real time there). */
  concurrency?: number;
}

/** Relative to the working directory when the file is inside it, as given otherwise. */
function shortName(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

/** Runs every file; the results keep the files' order. */
export async function runFiles(files: string[], options: RunOptions = {}): Promise<ScenarioResult[]> {
  const name = options.displayName ?? shortName;
  const runOne = async (file: string): Promise<ScenarioResult> => {
    const shown = name(file);
    try {
      const loaded = { ...(await loadScenarioFile(file)), file: shown };
      return await runScenario(
        loaded,
        options.target ? options.target.driver() : inProcessDriver({ runtime: options.runtime }),
      );
    } catch (error) {
      const message =
        error instanceof ScenarioFileError ? new ScenarioFileError(shown, error.problems).message : String(error);
      return {
        file: shown,
        name: basename(file),
        passed: false,
        error: message,
        start: null,
        steps: [],
        durationMs: 0,
      };
    }
  };
  const concurrency = options.target ? Math.max(1, options.concurrency ?? 8) : 1;
  const results: ScenarioResult[] = new Array(files.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, files.length) }, async () => {
      while (next < files.length) {
        const i = next++;
        results[i] = await runOne(files[i] as string);
      }
    }),
  );
  return results;
}
