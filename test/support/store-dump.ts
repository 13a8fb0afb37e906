/**
 * A full, ordered dump of every table of a SQLite store file, read through a separate
 * read-only connection: two dumps are equal exactly when nothing stored changed.
 */
import Database from 'better-sqlite3';

export interface SqliteDump {
  tables: Record<string, Record<string, unknown>[]>;
}

export function dumpSqlite(path: string): SqliteDump {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const names = (
      db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .all() as { name: string }[]
    ).map((r) => r.name);
    const tables: SqliteDump['tables'] = {};
    for (const name of names) {
      const columns = (db.prepare(`PRAGMA table_info("${name}")`).all() as { name: string }[]).map((c) => c.name);
      const order = columns.map((_, i) => i + 1).join(', ');
      tables[name] = db.prepare(`SELECT * FROM "${name}" ORDER BY ${order}`).all() as Record<string, unknown>[];
    }
    return { tables };
  } finally {
    db.close();
  }
}

/** The dump as one canonical string (Buffers as hex), for a byte-for-byte comparison. */
export function dumpText(dump: SqliteDump): string {
  return JSON.stringify(dump, (_key, value) =>
    value && typeof value === 'object' && (value as { type?: string }).type === 'Buffer'
      ? `hex:${Buffer.from((value as { data: number[] }).data).toString('hex')}`
      : value,
  );
}

/** Table row counts, for a readable failure message. */
export function rowCounts(dump: SqliteDump): Record<string, number> {
  return Object.fromEntries(Object.entries(dump.tables).map(([name, rows]) => [name, rows.length]));
}
