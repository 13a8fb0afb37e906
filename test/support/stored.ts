/** Store rows in the shape the process scenarios compare (free of vitest: globalSetup imports it too). */
import type { StoredState } from './scenarios.js';

/** One history row as the scenarios compare it; both probes read the same columns. */
export function toStoredHistory(r: Record<string, unknown>): StoredState['history'][number] {
  return {
    callId: r.call_id as string,
    seq: r.seq as number,
    eventId: (r.event_id as string | null) ?? null,
    type: r.type as string,
    source: r.source as string,
    at: r.at as number,
  };
}
