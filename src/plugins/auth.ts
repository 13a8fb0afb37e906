/**
 * Bearer tokens with roles (SPEC §6). Every /v1 route must declare `config.role`: a route
 * without one refuses to register, so a new route cannot be left open by mistake. With
 * API_TOKENS unset everything is open, as in the first release.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { ApiToken } from '../config.js';
import { Forbidden, Unauthorized } from '../errors.js';
import { problems } from '../http/schemas.js';
import { mayCall, type Role, type RouteRole, rolesThatMay } from './roles.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The role a route needs (SPEC §6); required under /v1. */
    role?: RouteRole;
    /** EventSource cannot send headers: this route also takes `?access_token=`. */
    tokenInQuery?: boolean;
  }
  interface FastifyRequest {
    /** The caller's token's role once authenticated; null when tokens are off. */
    callerRole: Role | null;
    /** A stable key for the caller (token index or client address), for rate limiting. */
    callerKey: string;
  }
}

export interface AuthOptions {
  tokens: ApiToken[];
  /** Routes under this prefix must declare a role. */
  prefix: string;
}

export default fp<AuthOptions>(
  async (app, { tokens, prefix }) => {
    const known = tokens.map((t, index) => ({ bytes: Buffer.from(t.token), role: t.role, key: `token:${index}` }));

    app.decorateRequest('callerRole', null);
    app.decorateRequest('callerKey', '');

    app.addHook('onRoute', (route) => {
      const url = route.url ?? route.path;
      if (!url.startsWith(prefix)) return;
      const role = route.config?.role;
      if (role === undefined) {
        throw new Error(`route ${route.method} ${url} declares no role (config.role, SPEC §6)`);
      }
      // The OpenAPI says who may call it and what a refusal looks like.
      // A new schema object, not the declared one changed: the HEAD route Fastify adds for a GET
      // starts from the same object, and changing it in place said the roles twice.
      if (route.schema) {
        const { description, response } = route.schema;
        route.schema = {
          ...route.schema,
          description: [description, `Roles: ${rolesThatMay(role).join(', ')}.`].filter(Boolean).join(' '),
          security: [{ bearer: [] }],
          response: { ...problems(401, 403, 429), ...((response ?? {}) as Record<string, unknown>) },
        };
      }
    });

    // Callback hook: it runs on every request, and an async one costs a promise each time.
    app.addHook('onRequest', (request, _reply, done) => {
      request.callerKey = `ip:${request.ip}`;
      const needed = request.routeOptions.config?.role;
      if (known.length === 0 || needed === undefined) return done();
      const presented = presentedToken(request);
      const caller = presented === null ? undefined : known.find((t) => sameBytes(t.bytes, presented));
      if (!caller) return done(new Unauthorized());
      request.callerRole = caller.role;
      request.callerKey = caller.key;
      if (!mayCall(caller.role, needed)) return done(new Forbidden(rolesThatMay(needed).join(', ')));
      done();
    });
  },
  { name: 'callflow-auth' },
);

function presentedToken(request: FastifyRequest): Buffer | null {
  const header = request.headers.authorization;
  if (header?.startsWith('Bearer ')) return Buffer.from(header.slice(7));
  if (request.routeOptions.config?.tokenInQuery) {
    const token = (request.query as Record<string, unknown> | undefined)?.access_token;
    if (typeof token === 'string') return Buffer.from(token);
  }
  return null;
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
