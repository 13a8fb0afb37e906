/**
 * What a client sees of a call: the view of SPEC §3 and the history items, rendered from a
 * stored call (or a history entry: the call as it was) in the catalogues of its script version.
 */
import type { CallEventType } from '../../machines/call.events.js';
import type { CallContext, PromptKey } from '../../machines/call.machine.js';
import { type CallRuntime, type PersistedCall, pathsOfValue } from '../../machines/call.runtime.js';
import {
  CATALOGUES,
  type Catalogue,
  type Locale,
  type RenderedPrompt,
  renderPrompt,
} from '../../machines/catalogue.js';
import type { CallRecord, HistoryEntry } from '../store/types.js';
import type { CallView, HistoryItem } from './view.schema.js';

export type { CallView, HistoryItem } from './view.schema.js';

/** The catalogues of one script version, per locale. */
export type Catalogues = Record<Locale, Catalogue>;

/** Where a call's phrases come from: the catalogues of the script version it started with. */
export interface ScriptSource {
  /** The version new calls take. */
  currentVersion(): number;
  /** The catalogues of a version (every version a stored call names must be known). */
  cataloguesOf(version: number): Catalogues;
  /** The runtime of a version's limits (absent: the service's own for every version). */
  runtimeOf?(version: number): CallRuntime;
  /** Makes a version known before a stored call on it is used (another node may have published it). */
  ensure?(version: number): Promise<void>;
}

/** The shipped catalogues as the only version (until script versions are published, SPEC §11). */
export const SHIPPED_SCRIPT: ScriptSource = {
  currentVersion: () => 1,
  cataloguesOf: () => CATALOGUES,
};

/** A stored call, or a history entry with the call's locale and its seq as version. */
export type ViewSource = Pick<
  CallRecord,
  | 'callId'
  | 'status'
  | 'version'
  | 'locale'
  | 'snapshot'
  | 'prompts'
  | 'actions'
  | 'timers'
  | 'operatorId'
  | 'scriptVersion'
>;

export function contextOf(snapshot: PersistedCall): CallContext {
  return snapshot.context as CallContext;
}

export function renderPrompts(
  keys: PromptKey[],
  context: CallContext,
  locale: Locale,
  catalogues: Catalogues = CATALOGUES,
): RenderedPrompt[] {
  return keys.map((key) => renderPrompt(key, context.customer, locale, catalogues));
}

export function buildView(source: ViewSource, allowedEvents: CallEventType[], catalogues: Catalogues): CallView {
  const context = contextOf(source.snapshot);
  return {
    callId: source.callId,
    status: source.status,
    state: pathsOfValue(source.snapshot.value),
    version: source.version,
    customer: context.customer,
    prompts: renderPrompts(source.prompts, context, source.locale, catalogues),
    allowedEvents,
    counters: {
      repeats: context.repeats,
      connectionAttempts: context.connectionAttempts,
      warnings: context.warnings,
    },
    timers: source.timers.map((t) => ({ name: t.name, dueAt: new Date(t.dueAt).toISOString() })),
    actions: source.actions,
    endReason: context.endReason,
    locale: source.locale,
    skippedFields: context.skippedFields,
    operatorId: source.operatorId,
    scriptVersion: source.scriptVersion,
  };
}

/** The call as it stood after a history entry: the view a stream sends for that version. */
export function viewAt(entry: HistoryEntry, call: CallRecord, allowedEvents: CallEventType[], catalogues: Catalogues) {
  return buildView({ ...call, ...entry, version: entry.seq, locale: call.locale }, allowedEvents, catalogues);
}

export function historyItem(entry: HistoryEntry, locale: Locale, catalogues: Catalogues): HistoryItem {
  return {
    seq: entry.seq,
    id: entry.eventId,
    type: entry.type,
    data: entry.data,
    source: entry.source,
    at: new Date(entry.at).toISOString(),
    state: pathsOfValue(entry.snapshot.value),
    prompts: renderPrompts(entry.prompts, contextOf(entry.snapshot), locale, catalogues),
    actions: entry.actions,
  };
}
