/**
 * One transcript line of a live call (SPEC §12): suggest the events its words point to among
 * those allowed now, in the lexicon of the call's script version and locale; apply at once
 * the best one that AUTO_APPLY names, through the one event path (source "transcript"); and
 * send the suggestions on the call's stream. The line itself is neither stored nor logged:
 * it lives only in this function.
 */
import type { CallService } from '../calls/service.js';
import type { CallView } from '../calls/view.js';
import type { Config } from '../config.js';
import { CallEnded, EventNotAllowed, IdempotencyConflict } from '../errors.js';
import { type Speaker, type Suggestion, suggest } from './suggest.js';

export interface Utterance {
  speaker: Speaker;
  text: string;
  /** The sender's id of the line: a retry of it applies nothing twice. */
  id?: string;
}

export type RankedSuggestion = Suggestion & { applied?: true };

export interface Heard {
  suggestions: RankedSuggestion[];
  applied?: CallView;
}

/** The name of the stream event that carries each suggestion. */
export const SUGGESTION_EVENT = 'suggestion';

export async function hearUtterance(
  calls: CallService,
  config: Pick<Config, 'autoApply' | 'autoApplyConfidence'>,
  callId: string,
  utterance: Utterance,
): Promise<Heard> {
  const view = await calls.getView(callId);
  const lexicon = calls.cataloguesOf(view)[view.locale].lexicon;
  const suggestions: RankedSuggestion[] = suggest(utterance.text, {
    speaker: utterance.speaker,
    allowedEvents: view.allowedEvents,
    lexicon,
    locale: view.locale,
  });

  let applied: CallView | undefined;
  const auto = suggestions.find((s) => config.autoApply.includes(s.type) && s.confidence >= config.autoApplyConfidence);
  if (auto) {
    try {
      const result = await calls.applyEvent(
        callId,
        {
          type: auto.type,
          ...(utterance.id === undefined ? {} : { id: `utterance:${utterance.id}` }),
          ...(auto.data ? { data: auto.data } : {}),
        },
        'transcript',
      );
      applied = result.view;
      auto.applied = true;
    } catch (error) {
      // The call moved on between reading it and applying (another event came first), or a
      // retried line's id already applied something else: the line is still suggested, and
      // nothing more is applied.
      if (!(error instanceof EventNotAllowed || error instanceof CallEnded || error instanceof IdempotencyConflict))
        throw error;
    }
  }

  const version = (applied ?? view).version;
  suggestions.forEach((suggestion, rank) => {
    calls.bus.send(callId, {
      kind: 'note',
      event: SUGGESTION_EVENT,
      data: { ...suggestion, rank, version, ...(utterance.id === undefined ? {} : { utteranceId: utterance.id }) },
    });
  });
  return applied ? { suggestions, applied } : { suggestions };
}
