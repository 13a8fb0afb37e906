/**
 * The destruction log (Roskomnadzor order No. 179): one line per erasure, newest first, with
 * the call's id, time, reason, kinds of data and who asked; never the data itself.
 */
import type { CallStore, SqlValue } from '../store/types.js';

export interface ErasureLine {
  callId: string;
  reason: 'request' | 'retention';
  at: string;
  kinds: string[];
  /** The token that asked (`token:N`, its position in API_TOKENS), null for retention or without tokens. */
  by: string | null;
}

/** A page cursor: the last line's time and id, opaque to clients. */
export function encodeCursor(at: number, id: string): string {
  return Buffer.from(`${at}:${id}`).toString('base64url');
}

export function decodeCursor(cursor: string): { at: number; id: string } | null {
  const text = Buffer.from(cursor, 'base64url').toString();
  const match = /^(\d{1,16}):([0-9a-f-]{36})$/.exec(text);
  if (!match || encodeCursor(Number(match[1]), match[2] as string) !== cursor) return null;
  return { at: Number(match[1]), id: match[2] as string };
}

export async function listErasures(
  store: CallStore,
  query: { limit: number; cursor?: { at: number; id: string } },
): Promise<{ erasures: ErasureLine[]; nextCursor: string | null }> {
  const params: SqlValue[] = [];
  let where = '';
  if (query.cursor) {
    where = 'WHERE at < ? OR (at = ? AND id < ?)';
    params.push(query.cursor.at, query.cursor.at, query.cursor.id);
  }
  const rows = await store.query(
    `SELECT id, call_id, reason, at, kinds, requested_by FROM erasures ${where} ORDER BY at DESC, id DESC LIMIT ?`,
    [...params, query.limit + 1],
  );
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    erasures: page.map((row) => ({
      callId: String(row.call_id),
      reason: row.reason as ErasureLine['reason'],
      at: new Date(Number(row.at)).toISOString(),
      kinds: JSON.parse(String(row.kinds)) as string[],
      by: (row.requested_by as string | null) ?? null,
    })),
    nextCursor: rows.length > query.limit && last ? encodeCursor(Number(last.at), String(last.id)) : null,
  };
}
