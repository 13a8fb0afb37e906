/**
 * npm run scenarios -- [FILES or DIRECTORIES...] [--url URL] [--token T] [--junit FILE]
 *
 * Runs scenario files (default: the shipped scenarios/) in-process against the statechart, or
 * with --url against a running service. Prints one line per failing step and a closing
 * `N passed, N failed`; exits 1 when anything failed, 2 on a usage error.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { HttpTarget } from './http.js';
import { junitXml } from './junit.js';
import { failureLines, summaryLine, totals } from './report.js';
import { runFiles, SHIPPED_DIR, scenarioFiles } from './suite.js';

const USAGE = `usage: npm run scenarios -- [FILE|DIR ...] [--url URL] [--token TOKEN] [--junit FILE] [--verbose]
  FILE|DIR     scenario files (.yaml); a directory stands for its .yaml files (default: scenarios/)
  --url URL    run against a running service instead of in-process
  --token T    bearer token for the service's API (or CALLFLOW_TOKEN)
  --junit FILE also write JUnit XML to FILE
  --verbose    one line per scenario, passed ones too`;

async function main(argv: string[]): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (args.values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const { url, junit, verbose } = args.values;
  const token = args.values.token ?? process.env.CALLFLOW_TOKEN;
  if (url !== undefined && !/^https?:\/\//.test(url)) {
    process.stderr.write(`--url must be an http:// or https:// URL, got "${url}"\n`);
    return 2;
  }
  const files = await scenarioFiles(args.positionals.length > 0 ? args.positionals : [SHIPPED_DIR]);
  if (files.length === 0) {
    process.stdout.write(`no scenario files in ${args.positionals.join(' ') || SHIPPED_DIR}\n0 passed, 0 failed\n`);
    return 1;
  }
  const target = url === undefined ? undefined : new HttpTarget({ url, token });
  const results = await runFiles(files, { target });
  for (const result of results) {
    if (verbose) process.stdout.write(`${result.passed ? 'ok  ' : 'FAIL'} ${result.file}: ${result.name}\n`);
    for (const line of failureLines(result)) process.stdout.write(`${line}\n`);
  }
  if (junit) await writeFile(junit, junitXml(results));
  process.stdout.write(`${summaryLine(results)}\n`);
  return totals(results).failed > 0 ? 1 : 0;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      junit: { type: 'string' },
      verbose: { type: 'boolean', short: 'v' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 2;
  },
);
