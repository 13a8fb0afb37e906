/** The call view of SPEC §3, built from a stored call (or a history entry: the call as it was). */
import type { CallEventType } from '../../machines/call.events.js';
import type { CallContext, PromptKey } from '../../machines/call.machine.js';
import { type Effect, type PersistedCall, pathsOfValue } from '../../machines/call.runtime.js';
import { type Locale, type RenderedPrompt, renderPrompt } from '../../machines/catalogue.js';
import type { CallRecord, CallStatus } from '../store/types.js';

export interface CallView {
  callId: string;
  status: CallStatus;
  state: string | string[];
  version: number;
  customer: CallContext['customer'];
  prompts: RenderedPrompt[];
  allowedEvents: CallEventType[];
  counters: { repeats: number; connectionAttempts: number; warnings: number };
  timers: { name: string; dueAt: string }[];
  actions: Effect[];
  endReason: CallContext['endReason'];
  locale: Locale;
  skippedFields: CallContext['skippedFields'];
  replayed?: boolean;
}

/** A stored call, or a history entry with the call's locale and its seq as version. */
export type ViewSource = Pick<
  CallRecord,
  'callId' | 'status' | 'version' | 'locale' | 'snapshot' | 'prompts' | 'actions' | 'timers'
>;

export function contextOf(snapshot: PersistedCall): CallContext {
  return snapshot.context as CallContext;
}

export function renderPrompts(keys: PromptKey[], context: CallContext, locale: Locale): RenderedPrompt[] {
  return keys.map((key) => renderPrompt(key, context.customer, locale));
}

export function buildView(source: ViewSource, allowedEvents: CallEventType[]): CallView {
  const context = contextOf(source.snapshot);
  return {
    callId: source.callId,
    status: source.status,
    state: pathsOfValue(source.snapshot.value),
    version: source.version,
    customer: context.customer,
    prompts: renderPrompts(source.prompts, context, source.locale),
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
  };
}
