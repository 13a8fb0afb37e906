/**
 * The personal data that the escalations (SPEC §8) and webhooks (SPEC §7) capabilities keep
 * about a call: escalation topics, and call views (customer, topics) inside webhook message
 * bodies. Those capabilities land separately, so their holders are registered when their
 * tables exist (the plugin checks at start); a capability may instead register its own.
 */
import type { CallStore, Statement } from '../store/types.js';
import type { PersonalDataHolder } from './erasure.js';

/** Whether the store has this table (its capability's migration has run). */
export async function tableExists(store: CallStore, table: string): Promise<boolean> {
  const sql =
    store.kind === 'sqlite'
      ? "SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = ?"
      : 'SELECT 1 AS found FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?';
  return (await store.query(sql, [table])).length > 0;
}

export function escalationsHolder(store: CallStore): PersonalDataHolder {
  return {
    kind: 'escalations',
    async erase(callId) {
      const rows = await store.query("SELECT id FROM escalations WHERE call_id = ? AND topic <> ''", [callId]);
      if (rows.length === 0) return [];
      return [{ sql: "UPDATE escalations SET topic = '' WHERE call_id = ?", params: [callId] }];
    },
  };
}

/**
 * Every message of the call, delivered or not: a pending one is then signed and sent without
 * the data; a delivered one keeps no copy of it here (the receiver has its own).
 */
export function webhookMessagesHolder(store: CallStore): PersonalDataHolder {
  return {
    kind: 'webhook-messages',
    async erase(callId) {
      const rows = await store.query('SELECT id, body FROM webhook_messages WHERE call_id = ?', [callId]);
      const statements: Statement[] = [];
      for (const row of rows) {
        const body = String(row.body);
        const redacted = JSON.stringify(redactDeep(JSON.parse(body)));
        if (redacted !== body) {
          statements.push({
            sql: 'UPDATE webhook_messages SET body = ? WHERE id = ?',
            params: [redacted, String(row.id)],
          });
        }
      }
      return statements;
    },
  };
}

/** A JSON value without customers' names and topic texts, wherever they sit in it. */
export function redactDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactDeep);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (key === 'firstName' || key === 'patronymic') continue;
    if (key === 'customer') out[key] = null;
    else if (key === 'topic' && typeof item === 'string') out[key] = '';
    else out[key] = redactDeep(item);
  }
  return out;
}

/** The holders whose tables this store has. */
export async function knownHolders(store: CallStore): Promise<PersonalDataHolder[]> {
  const holders: PersonalDataHolder[] = [];
  if (await tableExists(store, 'escalations')) holders.push(escalationsHolder(store));
  if (await tableExists(store, 'webhook_messages')) holders.push(webhookMessagesHolder(store));
  return holders;
}
