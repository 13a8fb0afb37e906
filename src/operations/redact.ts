/**
 * What personal data looks like in a stored call (SPEC §10), and the same call without it. Pure.
 * Personal data here: the customer's name (first name, patronymic) and the unknown-topic texts
 * (an escalation's topic). Each function returns null when there is nothing to erase.
 */
import type { Effect, PersistedCall } from '../../machines/call.runtime.js';
import type { HistoryEntry } from '../store/types.js';

export const ERASED_KINDS = ['customer-name', 'unknown-topic'] as const;
export type ErasedKind = (typeof ERASED_KINDS)[number] | (string & {});

/** A fingerprint of a body with personal data, once erased: a replay of it is a conflict now. */
export const ERASED_FINGERPRINT = 'erased';

/** The snapshot without the customer's name (prompts then render by the no-name rule). */
export function withoutName(snapshot: PersistedCall): PersistedCall | null {
  const context = snapshot.context as Record<string, unknown> | undefined;
  if (!context || context.customer == null) return null;
  return { ...snapshot, context: { ...context, customer: null } };
}

/** Escalation actions without their topic text (the action and its id stay). */
export function withoutTopics(actions: Effect[]): Effect[] | null {
  if (!actions.some((action) => action.topic !== '')) return null;
  return actions.map((action) => ({ ...action, topic: '' }));
}

/** An event's data without the name or topic fields (the kinds they were). */
export function withoutPersonalFields(
  data: Record<string, unknown>,
): { data: Record<string, unknown>; kinds: ErasedKind[] } | null {
  const kinds: ErasedKind[] = [];
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) {
    if (key === 'firstName' || key === 'patronymic') kinds.push('customer-name');
    else if (key === 'topic') kinds.push('unknown-topic');
    else rest[key] = value;
  }
  return kinds.length ? { data: rest, kinds } : null;
}

/** A create fingerprint (canonical JSON of the create body) that names a customer. */
export function createNamesCustomer(createFingerprint: string): boolean {
  try {
    const body = JSON.parse(createFingerprint) as { customer?: unknown };
    return body.customer != null;
  } catch {
    return false;
  }
}

/** A history row without its personal data, and the kinds removed; null: it had none. */
export function redactHistory(entry: HistoryEntry): { entry: HistoryEntry; kinds: Set<ErasedKind> } | null {
  const kinds = new Set<ErasedKind>();
  const snapshot = withoutName(entry.snapshot);
  if (snapshot) kinds.add('customer-name');
  const actions = withoutTopics(entry.actions);
  if (actions) kinds.add('unknown-topic');
  const data = withoutPersonalFields(entry.data);
  for (const kind of data?.kinds ?? []) kinds.add(kind);
  if (kinds.size === 0) return null;
  return {
    entry: {
      ...entry,
      snapshot: snapshot ?? entry.snapshot,
      actions: actions ?? entry.actions,
      data: data?.data ?? entry.data,
      fingerprint: data && entry.fingerprint !== null ? ERASED_FINGERPRINT : entry.fingerprint,
    },
    kinds,
  };
}
