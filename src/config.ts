/** Configuration from the environment (SPEC §4), validated once at start-up. */
import { CALL_EVENT_TYPES, type CallEventType } from '../machines/call.events.js';
import type { CallLimits } from '../machines/call.machine.js';
import { isRole, ROLES, type Role } from './plugins/roles.js';

/** One bearer token of API_TOKENS and the role it grants (SPEC §6). */
export interface ApiToken {
  token: string;
  role: Role;
}

export interface Config {
  port: number;
  host: string;
  databaseUrl: string;
  limits: CallLimits;
  logLevel: string;
  apiTokens: ApiToken[];
  /** Requests per minute per token (per client address without one); null: no limit. */
  rateLimitPerMinute: number | null;
  /** SQLite `synchronous`: NORMAL survives kill -9 in WAL mode; FULL also survives power loss. */
  sqliteSynchronous: 'NORMAL' | 'FULL';
  /** How many calls the service keeps decoded in memory (least recently used are dropped). */
  callCacheSize: number;
  /** WebSocket URL of an XState inspector (@statelyai/inspect); unset: no inspection. */
  inspectUrl: string | null;
  /** SSE keep-alive comment interval. */
  keepAliveMs: number;
  /** How long start-up waits for an unreachable PostgreSQL before it gives up (exit 1). */
  storeConnectTimeoutSeconds: number;
  /** Telephony adapters (SPEC §9); null: off. */
  asterisk: AsteriskConfig | null;
  freeswitch: FreeswitchConfig | null;
  /** Transcript suggestions applied at once (SPEC §12), and from what confidence on. */
  autoApply: CallEventType[];
  autoApplyConfidence: number;
  webhooks: WebhookConfig;
  /** A call with no API event for this long ends as abandoned (SPEC §10). */
  idleCallSeconds: number;
  /** An ended call's personal data is erased this long after it ended (SPEC §10). */
  retentionDays: number;
}

export interface AsteriskConfig {
  /** http(s)://host:port[/prefix] of Asterisk's HTTP server (ARI lives under /ari). */
  url: URL;
  username: string;
  password: string;
  app: string;
  /** Switch TALK_DETECT on for each call's channel at StasisStart. */
  talkDetect: boolean;
}

export interface FreeswitchConfig {
  host: string;
  port: number;
  password: string;
}

/** Webhook delivery (SPEC §7). */
export interface WebhookConfig {
  /** Delays before each retry, ms: one attempt, then one more per entry, then `failed`. */
  retryScheduleMs: number[];
  /** Attempts at once to one endpoint (and its pooled connections). */
  concurrencyPerEndpoint: number;
  /** Deliver to loopback, private, link-local and unique-local addresses (tests, a private network). */
  allowPrivate: boolean;
  /** An attempt that has no 2xx answer within this is a failure. */
  timeoutMs: number;
}

/** SPEC §7: 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 3 h, 6 h. */
export const DEFAULT_RETRY_SCHEDULE_SECONDS = [5, 30, 120, 600, 1800, 3600, 10_800, 21_600];

export class ConfigError extends Error {}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function positive(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || value > 86_400) {
    throw new ConfigError(`${name} must be a number of seconds above 0 (fractions allowed), got "${raw}"`);
  }
  return value;
}

function bool(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

function asteriskConfig(env: NodeJS.ProcessEnv): AsteriskConfig | null {
  const raw = env.ARI_URL;
  if (!raw) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`ARI_URL must be an http:// or https:// URL such as http://pbx:8088, got "${raw}"`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash || url.username) {
    throw new ConfigError(
      `ARI_URL must be http(s)://host:port with an optional path prefix (credentials go in ARI_USERNAME and ARI_PASSWORD), got "${raw}"`,
    );
  }
  const username = env.ARI_USERNAME ?? '';
  const password = env.ARI_PASSWORD ?? '';
  // ARI refuses a connection without a user of ari.conf; saying so at start beats a 401 loop.
  if (!username || username.includes(':')) {
    throw new ConfigError('ARI_USERNAME must be set (an ari.conf user, without ":") when ARI_URL is set');
  }
  if (!password) throw new ConfigError('ARI_PASSWORD must be set when ARI_URL is set');
  const app = env.ARI_APP || 'callflow';
  // A comma would subscribe to several applications; the name is also a dialplan argument.
  if (!/^[A-Za-z0-9._-]{1,80}$/.test(app)) {
    throw new ConfigError(`ARI_APP must be 1-80 letters, digits, ".", "_" or "-", got "${app}"`);
  }
  return { url, username, password, app, talkDetect: bool(env, 'ARI_TALK_DETECT', true) };
}

function freeswitchConfig(env: NodeJS.ProcessEnv): FreeswitchConfig | null {
  const raw = env.FREESWITCH_ESL;
  if (!raw) return null;
  // host:port, or [v6 address]:port
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/.exec(raw);
  const port = Number(match?.[3]);
  if (!match || !Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new ConfigError(`FREESWITCH_ESL must be host:port such as pbx:8021 (or [::1]:8021), got "${raw}"`);
  }
  const password = env.FREESWITCH_PASSWORD || 'ClueCon';
  // The password travels as one command line: a line break would end it early.
  if (/[\r\n]/.test(password)) throw new ConfigError('FREESWITCH_PASSWORD must be one line');
  return { host: (match[1] ?? match[2]) as string, port, password };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const databaseUrl = env.DATABASE_URL || 'sqlite:./data/callflow.db';
  if (!/^(sqlite:.+|postgres(ql)?:\/\/.+)$/.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must be sqlite:PATH, sqlite::memory: or postgres://...');
  }
  const logLevel = env.LOG_LEVEL || 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  const synchronous = (env.SQLITE_SYNCHRONOUS || 'NORMAL').toUpperCase();
  if (synchronous !== 'NORMAL' && synchronous !== 'FULL')
    throw new ConfigError('SQLITE_SYNCHRONOUS must be NORMAL or FULL');
  return {
    port: integer(env, 'PORT', 3000, 0, 65_535),
    host: env.HOST || '127.0.0.1',
    databaseUrl,
    limits: {
      maxRepeats: integer(env, 'MAX_REPEATS', 3, 1, 100),
      maxConnectionAttempts: integer(env, 'MAX_CONNECTION_ATTEMPTS', 3, 1, 100),
      holdCheckSeconds: positive(env, 'HOLD_CHECK_SECONDS', 30),
    },
    logLevel,
    apiTokens: parseTokens(env.API_TOKENS ?? ''),
    rateLimitPerMinute:
      env.RATE_LIMIT_PER_MINUTE === undefined || env.RATE_LIMIT_PER_MINUTE === ''
        ? null
        : integer(env, 'RATE_LIMIT_PER_MINUTE', 0, 1, 10_000_000),
    sqliteSynchronous: synchronous,
    callCacheSize: integer(env, 'CALL_CACHE_SIZE', 20_000, 0, 10_000_000),
    inspectUrl: env.INSPECT_URL || null,
    keepAliveMs: integer(env, 'SSE_KEEPALIVE_MS', 15_000, 10, 3_600_000),
    storeConnectTimeoutSeconds: positive(env, 'STORE_CONNECT_TIMEOUT_SECONDS', 60),
    asterisk: asteriskConfig(env),
    freeswitch: freeswitchConfig(env),
    autoApply: eventTypes(env, 'AUTO_APPLY', ['customer.speech']),
    autoApplyConfidence: fraction(env, 'AUTO_APPLY_CONFIDENCE', 0.9),
    webhooks: {
      retryScheduleMs: retrySchedule(env.WEBHOOK_RETRY_SCHEDULE),
      allowPrivate: flag(env, 'WEBHOOK_ALLOW_PRIVATE', false),
      timeoutMs: Math.round(positive(env, 'WEBHOOK_TIMEOUT_SECONDS', 10) * 1000),
      concurrencyPerEndpoint: integer(env, 'WEBHOOK_CONCURRENCY', 64, 1, 1024),
    },
    idleCallSeconds: bounded(env, 'IDLE_CALL_SECONDS', 7200, 'seconds', 30 * 86_400),
    retentionDays: bounded(env, 'RETENTION_DAYS', 30, 'days', 36_500),
  };
}

/** A positive amount of `unit` up to `max`, fractions allowed (tests use tiny ones). */
function bounded(env: NodeJS.ProcessEnv, name: string, fallback: number, unit: string, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value <= 0 || value > max) {
    throw new ConfigError(
      `${name} must be a number of ${unit} above 0 and at most ${max} (fractions allowed), got "${raw}"`,
    );
  }
  return value;
}

/** Comma-separated event types; set but empty: none. */
function eventTypes(env: NodeJS.ProcessEnv, name: string, fallback: CallEventType[]): CallEventType[] {
  const raw = env[name];
  if (raw === undefined) return fallback;
  const types = raw
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  const known = new Set<string>(CALL_EVENT_TYPES);
  const unknown = types.filter((type) => !known.has(type));
  if (unknown.length) {
    throw new ConfigError(
      `${name} must be comma-separated event types (${CALL_EVENT_TYPES.join(', ')}); not one: ${unknown.join(', ')}`,
    );
  }
  return [...new Set(types)] as CallEventType[];
}

function fraction(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new ConfigError(`${name} must be a number from 0 to 1, got "${raw}"`);
  }
  return value;
}

function flag(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

/** Comma-separated seconds, fractions allowed; at most 20 retries, each up to a week. */
function retrySchedule(raw: string | undefined): number[] {
  if (raw === undefined || raw.trim() === '') return DEFAULT_RETRY_SCHEDULE_SECONDS.map((s) => s * 1000);
  const parts = raw.split(',').map((part) => part.trim());
  const seconds = parts.map(Number);
  if (
    parts.length > 20 ||
    parts.some((part, i) => part === '' || !Number.isFinite(seconds[i]) || seconds[i]! <= 0 || seconds[i]! > 604_800)
  ) {
    throw new ConfigError(
      `WEBHOOK_RETRY_SCHEDULE must be up to 20 comma-separated numbers of seconds above 0 and at most 604800 (fractions allowed), got "${raw}"`,
    );
  }
  return seconds.map((s) => Math.round(s * 1000));
}

/** `TOKEN:ROLE` items, comma-separated; a bare `TOKEN` is admin (the first release's setting). */
function parseTokens(raw: string): ApiToken[] {
  const tokens: ApiToken[] = [];
  for (const item of raw.split(',').map((part) => part.trim())) {
    if (!item) continue;
    const colon = item.lastIndexOf(':');
    if (colon === -1) {
      tokens.push({ token: item, role: 'admin' });
      continue;
    }
    const token = item.slice(0, colon);
    const role = item.slice(colon + 1);
    if (!token || !isRole(role)) {
      // The token itself is never echoed: the message names the item's position only.
      throw new ConfigError(
        `API_TOKENS item ${tokens.length + 1} must be TOKEN or TOKEN:ROLE with ROLE one of ${ROLES.join(', ')}`,
      );
    }
    tokens.push({ token, role });
  }
  const seen = new Set<string>();
  for (const { token } of tokens) {
    if (seen.has(token)) throw new ConfigError('API_TOKENS names the same token twice');
    seen.add(token);
  }
  return tokens;
}
