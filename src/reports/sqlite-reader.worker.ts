/**
 * The report reader's thread (sqlite-reader.ts): its own read-only connection to the SQLite
 * file (WAL lets it read beside the writer), prepared statements kept by their text.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

interface Request {
  id: number;
  sql: string;
  params: unknown[];
}

const db = new Database((workerData as { location: string }).location, { readonly: true, fileMustExist: true });
const prepared = new Map<string, Database.Statement>();

parentPort?.on('message', ({ id, sql, params }: Request) => {
  try {
    let statement = prepared.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      prepared.set(sql, statement);
    }
    parentPort?.postMessage({ id, rows: statement.all(...params) });
  } catch (error) {
    const { message, code } = error as { message: string; code?: string };
    parentPort?.postMessage({ id, error: { message, code } });
  }
});
