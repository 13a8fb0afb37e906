/** One error handler: every error leaves as application/problem+json (RFC 9457). */
import type { FastifyError, FastifyInstance } from 'fastify';
import { EventNotAllowed, PROBLEM_BASE, TITLES, TooManyRequests } from '../errors.js';

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
      const body: Record<string, unknown> = {
        type: `${PROBLEM_BASE}${status >= 500 ? 'internal' : code}`,
        title: TITLES[status] ?? 'Error',
        status,
        detail: status >= 500 ? 'An unexpected error occurred; it has been logged.' : error.message,
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
      if (error instanceof TooManyRequests) void reply.header('retry-after', String(error.retryAfter));
      if (status >= 500) request.log.error({ err: error }, 'request failed');
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
