/**
 * The script-version registry (src/scripts/registry.ts) on every backend: version 1 written
 * once however many open it, versions stored whole, a version another process published found
 * on demand (`ensure`), racing publishers each getting their own number, equal content
 * publishing nothing, and a version's limits giving its own runtime.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../machines/call.machine.js';
import { createCallRuntime } from '../../machines/call.runtime.js';
import { CATALOGUES } from '../../machines/catalogue.js';
import { ScriptRegistry, UnknownScriptVersion } from '../../src/scripts/registry.js';
import { openPostgresStore } from '../../src/store/postgres.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import type { CallStore } from '../../src/store/types.js';
import { withHoldCheck } from '../scripts/helpers.js';
import { testDatabase } from '../support/postgres.js';

interface Backend {
  name: string;
  /** Two stores on one database where the backend can share one (PostgreSQL), else the same store twice. */
  open(): Promise<{ stores: [CallStore, CallStore]; close(): Promise<void> }>;
}

const dir = mkdtempSync(join(tmpdir(), 'callflow-scripts-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const backends: Backend[] = [
  {
    name: 'sqlite file',
    async open() {
      const store = await openSqliteStore(join(dir, `scripts-${Math.random()}.db`));
      return { stores: [store, store], close: () => store.close() };
    },
  },
  {
    name: 'postgres, two processes’ stores',
    async open() {
      const db = await testDatabase('scripts_store');
      const stores = (await Promise.all([openPostgresStore(db.url), openPostgresStore(db.url)])) as [
        CallStore,
        CallStore,
      ];
      return {
        stores,
        async close() {
          await Promise.all(stores.map((s) => s.close()));
          await db.drop();
        },
      };
    },
  },
];

const runtime = createCallRuntime(DEFAULT_LIMITS);
const open = (store: CallStore) => ScriptRegistry.open(store, { limits: DEFAULT_LIMITS, runtime });

for (const backend of backends) {
  describe(`script versions in the store: ${backend.name}`, () => {
    let stores: [CallStore, CallStore];
    let close: () => Promise<void>;
    let one: ScriptRegistry;
    let two: ScriptRegistry;
    beforeAll(async () => {
      ({ stores, close } = await backend.open());
      [one, two] = await Promise.all([open(stores[0]), open(stores[1])]);
    });
    afterAll(async () => close());

    it('version 1 is the shipped catalogues, written once', async () => {
      const rows = await stores[0].query('SELECT version, published_by FROM script_versions');
      expect(rows).toEqual([{ version: 1, published_by: 'shipped' }]);
      for (const registry of [one, two]) {
        expect(registry.currentVersion()).toBe(1);
        expect(registry.cataloguesOf(1)).toEqual(CATALOGUES);
        expect(registry.runtimeOf(1)).toBe(runtime);
      }
    });

    it('a version published by another process is found when a call names it', async () => {
      const script = withHoldCheck('И.О., секунду', '{name}, one second');
      const { version, published } = await one.publish({ catalogues: script.catalogues, limits: {} }, 'admin');
      expect({ version: version.version, published }).toEqual({ version: 2, published: true });
      expect(() => two.cataloguesOf(2)).toThrow(UnknownScriptVersion);
      await two.ensure(2);
      expect(two.cataloguesOf(2).ru.prompts['hold.check']!.text).toBe('И.О., секунду');
      expect(two.cataloguesOf(2)).toEqual(script.catalogues);
      expect(two.currentVersion()).toBe(2);
      await expect(two.ensure(99)).rejects.toThrow(UnknownScriptVersion);
    });

    it('content equal to the current version publishes nothing, even from a process that had not heard of it', async () => {
      const script = withHoldCheck('И.О., ещё секунду', '{name}, one more second');
      expect((await one.publish({ catalogues: script.catalogues, limits: {} }, 'admin')).version.version).toBe(3);
      const again = await two.publish({ catalogues: script.catalogues, limits: {} }, 'admin');
      expect({ version: again.version.version, published: again.published }).toEqual({ version: 3, published: false });
    });

    it('racing publishers get a version each, both stored whole', async () => {
      const a = withHoldCheck('И.О., первая', '{name}, first');
      const b = withHoldCheck('И.О., вторая', '{name}, second');
      const [x, y] = await Promise.all([
        one.publish({ catalogues: a.catalogues, limits: {} }, 'one'),
        two.publish({ catalogues: b.catalogues, limits: { maxRepeats: 2 } }, 'two'),
      ]);
      expect([x.version.version, y.version.version].sort()).toEqual([4, 5]);
      await Promise.all([one.refresh(), two.refresh()]);
      for (const registry of [one, two]) {
        expect(registry.list().map((v) => v.version)).toEqual([5, 4, 3, 2, 1]);
        expect(registry.cataloguesOf(x.version.version)).toEqual(a.catalogues);
        expect(registry.cataloguesOf(y.version.version)).toEqual(b.catalogues);
        expect(registry.runtimeOf(y.version.version)).not.toBe(runtime);
        expect(registry.runtimeOf(y.version.version).limits).toEqual({ ...DEFAULT_LIMITS, maxRepeats: 2 });
        expect(registry.runtimeOf(x.version.version)).toBe(runtime);
      }
    });
  });
}
