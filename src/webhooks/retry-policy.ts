/**
 * What an attempt's outcome means for its message (SPEC §7), pure so it is tested directly: a
 * 2xx is delivered; 410 Gone disables the endpoint; anything else is retried after the next
 * delay of the schedule (at least the receiver's Retry-After on 429 and 503), and once the
 * schedule is used up the message is failed.
 */

export interface AttemptOutcome {
  /** The receiver's status, or null when it gave none (timeout, refused, reset...). */
  statusCode: number | null;
  /** The Retry-After header as sent, if any. */
  retryAfter?: string | null;
}

export type Decision =
  | { kind: 'delivered' }
  | { kind: 'disable' }
  | { kind: 'retry'; delayMs: number }
  | { kind: 'failed' };

/** The longest Retry-After honoured: a receiver cannot park a message for longer than a day. */
export const MAX_RETRY_AFTER_MS = 24 * 3_600_000;

/**
 * `attemptsInRound`: attempts made since the message was created or manually retried,
 * including this one. The first attempt is not in the schedule; entry k is the wait after the
 * (k+1)-th failure.
 */
export function decide(
  outcome: AttemptOutcome,
  attemptsInRound: number,
  scheduleMs: readonly number[],
  now: number,
): Decision {
  const status = outcome.statusCode;
  if (status !== null && status >= 200 && status < 300) return { kind: 'delivered' };
  if (status === 410) return { kind: 'disable' };
  const scheduled = scheduleMs[attemptsInRound - 1];
  if (scheduled === undefined) return { kind: 'failed' };
  let delayMs = scheduled;
  if ((status === 429 || status === 503) && outcome.retryAfter) {
    const asked = retryAfterMs(outcome.retryAfter, now);
    if (asked !== null) delayMs = Math.max(delayMs, Math.min(asked, MAX_RETRY_AFTER_MS));
  }
  return { kind: 'retry', delayMs };
}

/** Retry-After (RFC 9110 §10.2.3): delay-seconds or an HTTP date; null when it is neither. */
export function retryAfterMs(value: string, now: number): number | null {
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (!/[a-z]/i.test(text)) return null;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}
