/**
 * The script versions of SPEC §11, kept in the store (table script_versions) and in memory on
 * every node: the call service asks it for the catalogues and the runtime of a call's version
 * (it is the service's ScriptSource), the routes publish and list through it. Version 1 is the
 * shipped catalogues, written on a new database. On PostgreSQL a trigger notifies the other
 * nodes of a publish (channel callflow_script); a call naming a version this node has not heard
 * of yet is loaded on the way (`ensure`), so a missed notification costs a read, never a wrong text.
 */

import type { CallLimits } from '../../machines/call.machine.js';
import { type CallRuntime, createCallRuntime } from '../../machines/call.runtime.js';
import { CATALOGUES } from '../../machines/catalogue.js';
import { fingerprint } from '../calls/fingerprint.js';
import type { Catalogues, ScriptSource } from '../calls/view.js';
import type { CallStore, Row } from '../store/types.js';
import { changesBetween, describeChanges } from './changes.js';
import type { Changes, Limits, ScriptContent } from './schema.js';

export interface StoredVersion {
  version: number;
  publishedAt: number;
  publishedBy: string;
  content: ScriptContent;
  /** The limits calls on this version run with: the version's own over the deployment's. */
  limits: Limits;
  summary: string;
  changes: Changes;
}

const NO_CHANGES: Changes = { prompts: [], events: [], lexicon: [], limits: [] };

const SQL = {
  seed: `INSERT INTO script_versions (version, published_at, published_by, content, fingerprint, summary)
    VALUES (1, ?, 'shipped', ?, ?, ?) ON CONFLICT (version) DO NOTHING`,
  after: 'SELECT * FROM script_versions WHERE version > ? ORDER BY version',
  one: 'SELECT * FROM script_versions WHERE version = ?',
  // Written only while no version at or above it exists; a racing publisher's uncommitted row
  // (invisible to NOT EXISTS on PostgreSQL) makes it a conflict, not an error: no row, try again.
  publish: `INSERT INTO script_versions (version, published_at, published_by, content, fingerprint, summary)
    SELECT CAST(? AS INTEGER), CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT)
    WHERE NOT EXISTS (SELECT 1 FROM script_versions WHERE version >= CAST(? AS INTEGER))
    ON CONFLICT (version) DO NOTHING`,
};

/** Two nodes publishing at the same moment: the loser reads the winner's and tries again. */
const PUBLISH_ATTEMPTS = 5;

export class UnknownScriptVersion extends Error {
  constructor(readonly version: number) {
    super(`script version ${version} is not known`);
  }
}

export class ScriptRegistry implements ScriptSource {
  private readonly versions = new Map<number, StoredVersion>();
  /** One runtime per distinct limits (a runtime builds its machine), and each version's. */
  private readonly runtimes = new Map<string, CallRuntime>();
  private readonly runtimeByVersion = new Map<number, CallRuntime>();
  private latest = 0;
  private publishing: Promise<unknown> = Promise.resolve();
  private refreshing: Promise<void> | null = null;

  private constructor(
    private readonly store: CallStore,
    private readonly baseLimits: CallLimits,
    private readonly baseRuntime: CallRuntime,
    private readonly now: () => number,
  ) {}

  /** Loads every version, writing version 1 (the shipped catalogues) on a new database. */
  static async open(
    store: CallStore,
    options: { limits: CallLimits; runtime: CallRuntime; now?: () => number },
  ): Promise<ScriptRegistry> {
    const registry = new ScriptRegistry(store, options.limits, options.runtime, options.now ?? Date.now);
    const content: ScriptContent = { catalogues: CATALOGUES, limits: {} };
    await store.transaction([
      {
        sql: SQL.seed,
        params: [
          registry.now(),
          JSON.stringify(content),
          fingerprint(content),
          JSON.stringify({ summary: 'The shipped script', changes: NO_CHANGES }),
        ],
      },
    ]);
    await registry.refresh();
    return registry;
  }

  currentVersion(): number {
    return this.latest;
  }

  cataloguesOf(version: number): Catalogues {
    return this.require(version).content.catalogues as Catalogues;
  }

  /** The runtime of a version's limits (the service's own when they are the deployment's). */
  runtimeOf(version: number): CallRuntime {
    // Asked several times per event: a map lookup once the version's runtime is known.
    const known = this.runtimeByVersion.get(version);
    if (known) return known;
    const runtime = this.runtimeFor(this.require(version).limits);
    this.runtimeByVersion.set(version, runtime);
    return runtime;
  }

  private runtimeFor(limits: Limits): CallRuntime {
    const key = fingerprint(limits);
    if (key === fingerprint(this.baseLimits)) return this.baseRuntime;
    let runtime = this.runtimes.get(key);
    if (!runtime) {
      runtime = createCallRuntime(limits);
      this.runtimes.set(key, runtime);
    }
    return runtime;
  }

  /** Makes a version known before a call on it is used (another node may have just published it). */
  async ensure(version: number): Promise<void> {
    // Twice: a read already under way when we came may have started before the version was written.
    for (let attempt = 0; attempt < 2 && !this.versions.has(version); attempt++) await this.refresh();
    if (!this.versions.has(version)) throw new UnknownScriptVersion(version);
  }

  /** A version, loaded from the store if this node has not heard of it; null when there is none. */
  async find(version: number): Promise<StoredVersion | null> {
    if (!this.versions.has(version) && version > this.latest) await this.refresh();
    return this.versions.get(version) ?? null;
  }

  current(): StoredVersion {
    return this.require(this.latest);
  }

  /** Every version, newest first. */
  list(): StoredVersion[] {
    return [...this.versions.values()].sort((a, b) => b.version - a.version);
  }

  /** Reads the versions published since the newest this node knows (a notification, or a miss). */
  refresh(): Promise<void> {
    // One read at a time; a caller arriving meanwhile waits for it.
    this.refreshing ??= (async () => {
      try {
        const rows = await this.store.query(SQL.after, [this.latest]);
        for (const row of rows) this.add(this.fromRow(row));
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  /** Publishes `content` as the next version, unless it equals the current one. */
  publish(content: ScriptContent, publishedBy: string): Promise<{ version: StoredVersion; published: boolean }> {
    const run = this.publishing.then(() => this.publishNow(content, publishedBy));
    this.publishing = run.catch(() => {});
    return run;
  }

  limitsOf(content: ScriptContent): Limits {
    return { ...this.baseLimits, ...content.limits };
  }

  private async publishNow(content: ScriptContent, publishedBy: string) {
    for (let attempt = 0; attempt < PUBLISH_ATTEMPTS; attempt++) {
      await this.refresh();
      const current = this.current();
      const limits = this.limitsOf(content);
      if (sameScript(current, content, limits)) return { version: current, published: false };
      const changes = changesBetween(current.content, current.limits, content, limits);
      const same = this.list().find((v) => sameScript(v, content, limits));
      const summary = same ? `Back to version ${same.version}: ${describeChanges(changes)}` : describeChanges(changes);
      const version = current.version + 1;
      const publishedAt = this.now();
      const result = await this.store.transaction([
        {
          sql: SQL.publish,
          params: [
            version,
            publishedAt,
            publishedBy,
            JSON.stringify(content),
            fingerprint(content),
            JSON.stringify({ summary, changes }),
            version,
          ],
          expectChanges: 1,
        },
      ]);
      if (!result.ok) continue; // another node published meanwhile: compare with its version
      const stored: StoredVersion = { version, publishedAt, publishedBy, content, limits, summary, changes };
      this.add(stored);
      return { version: stored, published: true };
    }
    throw new Error('script publish: too much contention');
  }

  private add(version: StoredVersion): void {
    this.versions.set(version.version, version);
    if (version.version > this.latest) this.latest = version.version;
  }

  private require(version: number): StoredVersion {
    const found = this.versions.get(version);
    if (!found) throw new UnknownScriptVersion(version);
    return found;
  }

  private fromRow(row: Row): StoredVersion {
    const content = JSON.parse(String(row.content)) as ScriptContent;
    const { summary, changes } = JSON.parse(String(row.summary)) as { summary: string; changes: Changes };
    return {
      version: Number(row.version),
      publishedAt: Number(row.published_at),
      publishedBy: String(row.published_by),
      content,
      limits: this.limitsOf(content),
      summary,
      changes,
    };
  }
}

/** Equal scripts: the same catalogues, and calls would run with the same limits. */
function sameScript(version: StoredVersion, content: ScriptContent, limits: Limits): boolean {
  return (
    fingerprint(version.content.catalogues) === fingerprint(content.catalogues) &&
    fingerprint(version.limits) === fingerprint(limits)
  );
}
