import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SERVICE_NODE_FLAGS } from '../../bench/processes.js';

const root = new URL('../../', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, root), 'utf8');

describe('node flags of the service', () => {
  it('are the same for npm start, npm run dev, the Dockerfile and the benchmark', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    const dockerCmd = JSON.parse(/^CMD (\[.*\])$/m.exec(read('Dockerfile'))?.[1] ?? '[]') as string[];
    expect(SERVICE_NODE_FLAGS.length).toBeGreaterThan(0);
    for (const flag of SERVICE_NODE_FLAGS) {
      expect(scripts.start?.split(' ')).toContain(flag);
      expect(scripts.dev?.split(' ')).toContain(flag);
      expect(dockerCmd).toContain(flag);
    }
  });
});
