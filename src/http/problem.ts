/** One error handler: every error leaves as application/problem+json (RFC 9457). */
import type { FastifyError, FastifyInstance } from 'fastify';
import {
  EscalationConflict,
  EventNotAllowed,
  EXPECTED_5XX,
  PROBLEM_BASE,
  StoreDiskFull,
  StoreUnavailable,
  TITLES,
} from '../errors.js';

interface ValidationIssue {
  instancePath?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** "body/customer/firstName" style field names from AJV's issues. */
export function describeValidation(context: string, issues: ValidationIssue[]) {
  return issues.map((issue) => {
    let field = `${context}${issue.instancePath ?? ''}`.replace(/\//g, '.');
    const extra = issue.params?.additionalProperty ?? issue.params?.missingProperty;
    if (typeof extra === 'string') field = `${field}.${extra}`;
    let message = issue.message ?? 'is invalid';
    if (issue.params?.additionalProperty) message = 'is not a known field';
    if (issue.params?.missingProperty) message = 'is required';
    if (Array.isArray(issue.params?.allowedValues))
      message += `: ${(issue.params.allowedValues as string[]).join(', ')}`;
    return { field, message };
  });
}

export function registerProblemHandler(app: FastifyInstance): void {
  app.setErrorHandler(
    (error: FastifyError & { validation?: ValidationIssue[]; validationContext?: string }, request, reply) => {
      let status = error.statusCode ?? 500;
      if (status < 400 || status > 599) status = 500;
      const code = (error.code ?? 'INTERNAL')
        .replace(/^FST_ERR_/, '')
        .toLowerCase()
        .replace(/_/g, '-');
      // A 5xx the service gives on purpose (shutting down, the store down) says what it is.
      const unexpected = status >= 500 && !EXPECTED_5XX.has(error.code);
      const body: Record<string, unknown> = {
        type: `${PROBLEM_BASE}${unexpected ? 'internal' : code}`,
        title: TITLES[status] ?? 'Error',
        status,
        detail: unexpected ? 'An unexpected error occurred; it has been logged.' : error.message,
        instance: request.url,
      };
      if (error.validation) {
        const errors = describeValidation(error.validationContext ?? 'body', error.validation);
        body.type = `${PROBLEM_BASE}invalid-request`;
        body.errors = errors;
        body.detail = errors.map((e) => `${e.field} ${e.message}`).join('; ');
      }
      if (error instanceof EventNotAllowed) {
        body.allowedEvents = error.allowedEvents;
        body.state = error.state;
      }
      if (error instanceof EscalationConflict) body.currentStatus = error.currentStatus;
      const retryAfter = (error as { retryAfter?: unknown }).retryAfter;
      if (typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter));
      if (error instanceof StoreUnavailable || error instanceof StoreDiskFull) {
        body.kind = error.kind;
        // Counted for the fault's log lines (src/store/health.ts), instead of a line per request.
        request.server.storeHealth?.refused();
      }
      if (unexpected) request.log.error({ err: error }, 'request failed');
      void reply.status(status).type('application/problem+json').send(body);
    },
  );

  app.setNotFoundHandler((request, reply) => {
    void reply
      .status(404)
      .type('application/problem+json')
      .send({
        type: `${PROBLEM_BASE}not-found`,
        title: 'Not Found',
        status: 404,
        detail: `No route ${request.method} ${request.url.split('?')[0]}`,
        instance: request.url,
      });
  });
}
