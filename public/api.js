// @ts-check
/**
 * The service's HTTP API as seen from the page: the bearer token (kept in sessionStorage),
 * problem+json errors turned into ApiError, the server clock's offset, idempotency keys.
 */

/** @import { AdherenceReport, CallAdherence, CallList, CallView, CreateCallBody, Escalation, EscalationList, EscalationStatus, History, MachineDescription, Problem, ScenarioList, Script, ScriptVersionList, SimulateBody, SimulateTranscript, UtteranceResponse, WebhookDelivery, WebhookDeliveryList, WebhookEndpointList } from './types.js' */

const TOKEN_KEY = 'callflow.token';

/** A refused request: status 0 when the service could not be reached at all. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {Partial<Problem> | null | undefined} problem
   */
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem ?? null;
  }
}

export function getToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) ?? '';
  } catch {
    return '';
  }
}

/** @param {string} token */
export function setToken(token) {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // storage disabled: the token lives as long as the page
  }
}

/**
 * A random UUID for an event's idempotency key. crypto.randomUUID exists only in secure
 * contexts (https, localhost); a console opened over plain HTTP from another host on the office network
 * still has getRandomValues.
 */
export function newId() {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Server time minus local time (ms), from the Date header; 0 while they agree within a second. */
let clockOffset = 0;

export function serverNow() {
  return Date.now() + clockOffset;
}

/** @param {Response} response */
function learnClock(response) {
  const date = Date.parse(response.headers.get('date') ?? '');
  if (Number.isNaN(date)) return;
  // The header has whole seconds: only a skew beyond that is worth correcting.
  const offset = date - Date.now();
  clockOffset = Math.abs(offset) > 1500 ? offset : 0;
}

/** Listeners told about a 401 (the page then asks for a token). */
/** @type {Set<() => void>} */
const unauthorizedListeners = new Set();
/** @param {() => void} listener */
export function onUnauthorized(listener) {
  unauthorizedListeners.add(listener);
}

/**
 * One request to the API: the parsed JSON answer, or an ApiError carrying the problem+json.
 * @template T the answer's type, as the route's schema gives it
 * @param {string} path
 * @param {{ method?: string, body?: unknown, retries?: number, accept?: string }} [options] retries: for requests
 *   safe to repeat; accept: another type than JSON (the answer is then its text)
 * @returns {Promise<T>}
 */
export async function api(path, { method = 'GET', body, retries = 0, accept = 'application/json' } = {}) {
  /** @type {Record<string, string>} */
  const headers = { accept };
  const token = getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  /** @type {Response} */
  let response;
  for (let attempt = 0; ; attempt++) {
    try {
      response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      break;
    } catch (error) {
      // Only requests that are safe to repeat ask for retries (events carry an idempotency id).
      if (attempt >= retries) {
        throw new ApiError(0, { title: 'Network', detail: error instanceof Error ? error.message : String(error) });
      }
      await new Promise((resolve) => setTimeout(resolve, 300 * (attempt + 1)));
    }
  }
  learnClock(response);
  const text = await response.text();
  /** @type {any} JSON as the route's schema describes it */
  let payload = null;
  if (response.ok && accept !== 'application/json') return /** @type {any} */ (text);
  if (text) {
    try {
      payload = JSON.parse(text);
    } catch {
      payload = { detail: text };
    }
  }
  if (!response.ok) {
    if (response.status === 401) for (const listener of unauthorizedListeners) listener();
    throw new ApiError(response.status, payload);
  }
  return payload;
}

const enc = encodeURIComponent;

/** @returns {Promise<Script>} */
export const getScript = () => api('/v1/script');
/** @param {number} version @returns {Promise<Script>} */
export const getScriptVersion = (version) => api(`/v1/script?version=${version}`);
/** @returns {Promise<ScriptVersionList>} */
export const listScriptVersions = () => api('/v1/script/versions');
/** @returns {Promise<ScenarioList>} */
export const listScenarios = () => api('/v1/scenarios');
/** @param {SimulateBody} body @returns {Promise<SimulateTranscript>} */
export const simulate = (body) => api('/v1/simulate', { method: 'POST', body });
/** @returns {Promise<MachineDescription>} */
export const getMachine = () => api('/v1/machine');
/** @returns {Promise<CallList>} */
export const listActiveCalls = () => api('/v1/calls?status=active&limit=200');
/** @param {string} callId @returns {Promise<CallView>} */
export const getCall = (callId) => api(`/v1/calls/${enc(callId)}`);
/** @param {string} callId @returns {Promise<History>} */
export const getHistory = (callId) => api(`/v1/calls/${enc(callId)}/history`);
/** @param {CreateCallBody} body @returns {Promise<CallView>} */
export const createCall = (body) => api('/v1/calls', { method: 'POST', body });
/**
 * @param {string} callId
 * @param {string} type
 * @param {Record<string, string>} [data]
 * @returns {Promise<CallView>}
 */
export const sendEvent = (callId, type, data) =>
  api(`/v1/calls/${enc(callId)}/events`, {
    method: 'POST',
    body: data && Object.keys(data).length > 0 ? { type, id: newId(), data } : { type, id: newId() },
    retries: 2,
  });

/**
 * One transcript line (typed or pasted by the operator): its suggestions, and the view of what
 * was applied at once. The line's id makes a retry apply nothing twice, and tells its
 * suggestions on the stream apart.
 * @param {string} callId
 * @param {{ speaker: 'customer' | 'operator', text: string, id: string }} line
 * @returns {Promise<UtteranceResponse>}
 */
export const postUtterance = (callId, line) =>
  api(`/v1/calls/${enc(callId)}/utterances`, { method: 'POST', body: line, retries: 2 });

/**
 * The SSE URL: EventSource cannot send headers, so the token rides in the query.
 * @param {string} callId
 */
export function streamUrl(callId) {
  const token = getToken();
  return `/v1/calls/${enc(callId)}/stream${token ? `?access_token=${enc(token)}` : ''}`;
}

/**
 * One page of escalations, newest first (SPEC §8).
 * @param {{ status?: EscalationStatus, limit?: number, cursor?: string | null }} query
 * @returns {Promise<EscalationList>}
 */
export function listEscalations({ status, limit = 200, cursor } = {}) {
  const params = new URLSearchParams({ limit: String(limit) });
  if (status) params.set('status', status);
  if (cursor) params.set('cursor', cursor);
  return api(`/v1/escalations?${params}`, { retries: 2 });
}
/** @param {string} id @param {string} by @returns {Promise<Escalation>} */
export const acknowledgeEscalation = (id, by) =>
  api(`/v1/escalations/${enc(id)}/acknowledge`, { method: 'POST', body: { by } });
/** @param {string} id @param {string} by @param {string} resolution @returns {Promise<Escalation>} */
export const resolveEscalation = (id, by, resolution) =>
  api(`/v1/escalations/${enc(id)}/resolve`, { method: 'POST', body: { by, resolution } });

/** The escalations' SSE URL (the token in the query, as for a call's stream). */
export function escalationStreamUrl() {
  const token = getToken();
  return `/v1/escalations/stream${token ? `?access_token=${enc(token)}` : ''}`;
}

/**
 * The adherence report of the calls started in [from, to) (ISO dates), as JSON or as CSV text.
 * @param {{ from: string, to: string, groupBy: 'operator' | 'day' }} query
 * @returns {Promise<AdherenceReport>}
 */
export const getAdherence = (query) => api(`/v1/reports/adherence?${new URLSearchParams(query)}`, { retries: 2 });
/** @param {{ from: string, to: string, groupBy: 'operator' | 'day' }} query @returns {Promise<string>} */
export const getAdherenceCsv = (query) =>
  api(`/v1/reports/adherence?${new URLSearchParams({ ...query, format: 'csv' })}`, { accept: 'text/csv' });
/** @param {string} callId @returns {Promise<CallAdherence>} */
export const getCallAdherence = (callId) => api(`/v1/calls/${enc(callId)}/adherence`);
/** @param {string} id @returns {Promise<Escalation>} */
export const getEscalation = (id) => api(`/v1/escalations/${enc(id)}`);

/** @returns {Promise<WebhookEndpointList>} */
export const listWebhooks = () => api('/v1/webhooks', { retries: 2 });
/** @param {string} id @param {number} limit @returns {Promise<WebhookDeliveryList>} */
export const listWebhookDeliveries = (id, limit) =>
  api(`/v1/webhooks/${enc(id)}/deliveries?limit=${limit}`, { retries: 2 });
/** @param {string} id @param {string} messageId @returns {Promise<WebhookDelivery>} */
export const retryWebhookDelivery = (id, messageId) =>
  api(`/v1/webhooks/${enc(id)}/deliveries/${enc(messageId)}/retry`, { method: 'POST', body: {} });
