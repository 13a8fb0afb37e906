/** Writes scenarios/scenario.schema.json from the TypeBox schemas (a test keeps it in step). */
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { scenarioJsonSchema } from '../src/scenarios/format.js';
import { SHIPPED_DIR } from '../src/scenarios/suite.js';

const file = join(SHIPPED_DIR, 'scenario.schema.json');
await writeFile(file, `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
// In the repository's own format, so `npm run lint` passes on the generated file.
const biome = spawnSync('npx', ['biome', 'format', '--write', file], { stdio: 'inherit' });
if (biome.status !== 0) process.exitCode = 1;
process.stdout.write(`wrote ${file}\n`);
