/**
 * Erasing one call's personal data (SPEC §10): the call row, every history row, and whatever
 * other capabilities hold about the call (their holders: escalations, undelivered webhook
 * messages), in one transaction with its line in the erasure log; then the store's files
 * (SQLite: the WAL is truncated; secure_delete already zeroed the freed bytes).
 *
 * It runs in the call's queue, so no event computed from the old copy commits after it. When
 * something was erased, the call moves on one version with a history row of its own (type
 * `personal-data.erased`): the version check keeps a stale copy on another node from writing
 * the name back, that node's cache is told by the change notification, and streams send the
 * erased view. The call's updated_at stays the time it ended (retention reads it).
 */
import { randomUUID } from 'node:crypto';
import type { CallService } from '../calls/service.js';
import { CallNotFound } from '../errors.js';
import type { CallRecord, CallStore, EventSource, HistoryEntry, Statement } from '../store/types.js';
import {
  createNamesCustomer,
  ERASED_FINGERPRINT,
  type ErasedKind,
  redactHistory,
  withoutName,
  withoutTopics,
} from './redact.js';

export const ERASED_TYPE = 'personal-data.erased';
export type ErasureReason = 'request' | 'retention';

/**
 * Another capability's personal data about a call: the statements that erase it, or none when
 * it holds none (then its kind is not logged). Called inside the call's queue.
 */
export interface PersonalDataHolder {
  kind: string;
  erase(callId: string): Promise<Statement[]>;
}

export interface ErasureOutcome {
  kinds: ErasedKind[];
  /** The WAL could not be truncated at once (the bytes leave at the next checkpoint). */
  scrubbed: boolean;
}

export interface ErasureDeps {
  store: CallStore;
  calls: CallService;
  holders: readonly PersonalDataHolder[];
  now?: () => number;
}

const CHANGE_CHANNEL = 'callflow_change';

export async function erasePersonalData(
  deps: ErasureDeps,
  callId: string,
  reason: ErasureReason,
  requestedBy: string | null,
  options: { scrub?: boolean } = {},
): Promise<ErasureOutcome> {
  const { store, calls } = deps;
  const now = deps.now ?? Date.now;
  const committed = await calls.exclusive(callId, async () => {
    for (let attempt = 0; attempt < 8; attempt++) {
      const record = await store.getCall(callId);
      if (!record) throw new CallNotFound(callId);
      const history = await store.history(callId);
      const plan = await planErasure(deps, record, history, now(), reason === 'request' ? 'api' : 'timer');
      const log: Statement = {
        sql: 'INSERT INTO erasures (id, call_id, reason, at, kinds, requested_by) VALUES (?, ?, ?, ?, ?, ?)',
        params: [randomUUID(), callId, reason, now(), JSON.stringify(plan.kinds), requestedBy],
      };
      const result = await store.transaction([...plan.statements, log]);
      if (!result.ok) {
        // The call moved on meanwhile (another node's event; its update is the first): read it again.
        if (plan.statements.length > 0 && result.failedAt === 0) continue;
        throw new Error(`call ${callId}: erasure statement ${result.failedAt} changed an unexpected number of rows`);
      }
      return { record: plan.record, kinds: plan.kinds };
    }
    throw new Error(`call ${callId}: erasure kept conflicting`);
  });
  const changed = committed.kinds.length > 0;
  // Open streams get the erased view (read back: the cached copy was dropped).
  if (changed) calls.bus.publish(await calls.getView(callId));
  const scrubbed = changed && options.scrub !== false && store.scrub ? await store.scrub() : true;
  return { kinds: committed.kinds, scrubbed };
}

interface Plan {
  statements: Statement[];
  kinds: ErasedKind[];
  /** The call as it stands after the erasure. */
  record: CallRecord;
}

async function planErasure(
  deps: ErasureDeps,
  record: CallRecord,
  history: HistoryEntry[],
  at: number,
  source: EventSource,
): Promise<Plan> {
  const kinds = new Set<ErasedKind>();
  const statements: Statement[] = [];
  for (const entry of history) {
    const redacted = redactHistory(entry);
    if (!redacted) continue;
    for (const kind of redacted.kinds) kinds.add(kind);
    const e = redacted.entry;
    statements.push({
      sql: 'UPDATE history SET fingerprint = ?, data = ?, snapshot = ?, actions = ? WHERE call_id = ? AND seq = ?',
      params: [
        e.fingerprint,
        JSON.stringify(e.data),
        JSON.stringify(e.snapshot),
        JSON.stringify(e.actions),
        e.callId,
        e.seq,
      ],
      expectChanges: 1,
    });
  }
  const snapshot = withoutName(record.snapshot);
  const actions = withoutTopics(record.actions);
  const namedAtCreate = createNamesCustomer(record.createFingerprint);
  if (snapshot || namedAtCreate) kinds.add('customer-name');
  if (actions) kinds.add('unknown-topic');
  for (const holder of deps.holders) {
    const erase = await holder.erase(record.callId);
    if (erase.length === 0) continue;
    kinds.add(holder.kind);
    statements.push(...erase);
  }
  if (kinds.size === 0) return { statements: [], kinds: [], record };

  const version = record.version + 1;
  const erased: CallRecord = {
    ...record,
    version,
    snapshot: snapshot ?? record.snapshot,
    actions: actions ?? record.actions,
    createFingerprint: namedAtCreate ? ERASED_FINGERPRINT : record.createFingerprint,
  };
  const json = {
    snapshot: JSON.stringify(erased.snapshot),
    prompts: JSON.stringify(erased.prompts),
    actions: JSON.stringify(erased.actions),
    timers: JSON.stringify(erased.timers),
  };
  // First: refused (nothing written) if the call moved on since it was read.
  statements.unshift({
    sql: 'UPDATE calls SET version = ?, snapshot = ?, actions = ?, create_fingerprint = ? WHERE call_id = ? AND version = ?',
    params: [version, json.snapshot, json.actions, erased.createFingerprint, record.callId, record.version],
    expectChanges: 1,
  });
  statements.push({
    sql: `INSERT INTO history (call_id, seq, event_id, fingerprint, type, data, source, at, status, snapshot, prompts, actions, timers)
          VALUES (?, ?, NULL, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    params: [
      record.callId,
      version,
      ERASED_TYPE,
      JSON.stringify({ kinds: [...kinds] }),
      source,
      at,
      erased.status,
      json.snapshot,
      json.prompts,
      json.actions,
      json.timers,
    ],
    expectChanges: 1,
  });
  // Other nodes drop their cached copy (and their streams read the new version).
  if (deps.store.kind === 'postgres') {
    statements.push({ sql: 'SELECT pg_notify(?, ?)', params: [CHANGE_CHANNEL, `${record.callId} ${version}`] });
  }
  return { statements, kinds: [...kinds], record: erased };
}
