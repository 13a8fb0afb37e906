/**
 * Every error a client can see, with its status and problem type. One handler in app.ts turns
 * them (and Fastify's own) into application/problem+json (RFC 9457).
 */
import createError from '@fastify/error';

export const PROBLEM_BASE = 'https://callflow.dev/problems/';

export const CallNotFound = createError<[string]>('CALL_NOT_FOUND', 'No call with id "%s"', 404);
export const CallExists = createError<[string]>(
  'CALL_EXISTS',
  'Call "%s" already exists with another body; the same body again is an idempotent replay',
  409,
);
export const CallEnded = createError<[string]>('CALL_ENDED', 'Call "%s" has ended and takes no more events', 409);
export const IdempotencyConflict = createError<[string]>(
  'IDEMPOTENCY_CONFLICT',
  'Event id "%s" was already used on this call with another body',
  409,
);
export const Unauthorized = createError(
  'UNAUTHORIZED',
  'A valid "Authorization: Bearer <token>" header is required',
  401,
);
export const Forbidden = createError<[string]>(
  'FORBIDDEN',
  "This token's role may not call this route; it needs one of: %s",
  403,
);
/** 429 with the window's limit; `retryAfter` (seconds) becomes the Retry-After header. */
export class TooManyRequests extends Error {
  readonly statusCode = 429;
  readonly code = 'TOO_MANY_REQUESTS';
  constructor(
    readonly limit: number,
    readonly retryAfter: number,
  ) {
    super(`More than ${limit} requests per minute; retry in ${retryAfter} s`);
  }
}
export const BodyTooLarge = createError<[number]>('BODY_TOO_LARGE', 'The request body is over %d bytes', 413);
export const InvalidBody = createError<[string]>('INVALID_BODY', '%s', 400);
export const InvalidQuery = createError<[string]>('INVALID_QUERY', '%s', 400);
export const EscalationNotFound = createError<[string]>('ESCALATION_NOT_FOUND', 'No escalation with id "%s"', 404);

/** 409: the escalation's status does not allow the transition; the problem names the status it has. */
export class EscalationConflict extends Error {
  readonly statusCode = 409;
  readonly code = 'ESCALATION_CONFLICT';
  constructor(
    readonly escalationId: string,
    readonly currentStatus: string,
    transition: 'acknowledge' | 'resolve',
  ) {
    super(`Escalation "${escalationId}" is ${currentStatus}: it cannot be ${transition}d`);
  }
}
export const InvalidCursor = createError(
  'INVALID_CURSOR',
  "The cursor is not one this service gave: pass the previous page's nextCursor as it is",
  400,
);
export const ShuttingDown = createError(
  'SHUTTING_DOWN',
  'The service is shutting down and takes no new requests; retry shortly',
  503,
);

/** Seconds a client is asked to wait before retrying while the store is unavailable. */
export const STORE_RETRY_AFTER_SECONDS = 2;

/**
 * The store cannot serve now (src/store/faults.ts): PostgreSQL unreachable, SQLite unable to
 * write. `kind` names the fault; `retryAfter` becomes the Retry-After header.
 */
export class StoreUnavailable extends Error {
  readonly statusCode = 503;
  readonly code = 'STORE_UNAVAILABLE';
  readonly retryAfter = STORE_RETRY_AFTER_SECONDS;
  constructor(
    readonly kind: string,
    options?: ErrorOptions,
  ) {
    super(
      `The store is unavailable (${kind}); retry shortly. An event sent again with the same id is applied once.`,
      options,
    );
  }
}

/** The store's disk is full (SQLITE_FULL, PostgreSQL 53100): 507, until space is freed. */
export class StoreDiskFull extends Error {
  readonly statusCode = 507;
  readonly code = 'STORE_DISK_FULL';
  readonly kind = 'disk-full';
  constructor(options?: ErrorOptions) {
    super(
      "The store's disk is full, so nothing could be written; reads still work. Retry once space is freed.",
      options,
    );
  }
}

/** Answers the service gives on purpose: a 5xx of these is not "unexpected", and is not logged as an error. */
export const EXPECTED_5XX = new Set(['SHUTTING_DOWN', 'STORE_UNAVAILABLE', 'STORE_DISK_FULL']);
export const WebhookNotFound = createError<[string]>('WEBHOOK_NOT_FOUND', 'No webhook endpoint with id "%s"', 404);
export const WebhookMessageNotFound = createError<[string, string]>(
  'WEBHOOK_MESSAGE_NOT_FOUND',
  'No message "%s" for webhook endpoint "%s"',
  404,
);
export const WebhookMessageNotFailed = createError<[string, string]>(
  'WEBHOOK_MESSAGE_NOT_FAILED',
  'Message "%s" is %s: only a failed message can be retried',
  409,
);
export const WebhookEndpointDisabled = createError<[string]>(
  'WEBHOOK_ENDPOINT_DISABLED',
  'Webhook endpoint "%s" is disabled (its receiver answered 410 Gone); create a new subscription to deliver again',
  409,
);

/** 409 with the events that are allowed instead, so a client can correct itself. */
export class EventNotAllowed extends Error {
  readonly statusCode = 409;
  readonly code = 'EVENT_NOT_ALLOWED';
  constructor(
    readonly eventType: string,
    readonly state: string | string[],
    readonly allowedEvents: string[],
  ) {
    super(`"${eventType}" is not allowed in state ${JSON.stringify(state)}`);
  }
}

export const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  507: 'Insufficient Storage',
};
export const ScriptVersionNotFound = createError<[number, number]>(
  'SCRIPT_VERSION_NOT_FOUND',
  'No script version %d; the current one is %d',
  404,
);
