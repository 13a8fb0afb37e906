/**
 * The SQLite store's write probe (its ping, and the health's check while the store is down): a
 * committed write that needs fresh pages, undone in the same transaction. A probe that only read,
 * or rewrote a page in place, would call a full database writable and the store would flap
 * between up and down; this one fails with SQLITE_FULL until there is room for a few pages.
 */
import type Database from 'better-sqlite3';

/** The probe's table (migration 3 of sqlite.ts): empty between probes. */
export const PROBE_TABLE_SQL = 'CREATE TABLE store_probe (id INTEGER PRIMARY KEY, filler BLOB NOT NULL)';

/** About four pages of 4 KiB: room for a few events' rows. */
const PROBE_BYTES = 16_384;

export function prepareProbe(db: Database.Database): () => void {
  const insert = db.prepare('INSERT OR REPLACE INTO store_probe (id, filler) VALUES (1, zeroblob(?))');
  const remove = db.prepare('DELETE FROM store_probe');
  const write = db.transaction(() => {
    insert.run(PROBE_BYTES);
    remove.run();
  });
  return () => write.immediate();
}

/**
 * Caps the database at `pages` pages (SQLite raises a cap below the current size to that size)
 * and answers the cap in force. Per connection: it must run on the writer's. Tests simulate a
 * full disk with it.
 */
export function setMaxPageCount(db: Database.Database, pages: number): number {
  return db.pragma(`max_page_count = ${Math.max(1, Math.floor(pages))}`, { simple: true }) as number;
}
