/**
 * The service's HTTP API as seen from the page: the bearer token (kept in sessionStorage),
 * problem+json errors turned into ApiError, the server clock's offset, idempotency keys.
 */

const TOKEN_KEY = 'callflow.token';

export class ApiError extends Error {
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
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Server time minus local time (ms), from the Date header; 0 while they agree within a second. */
let clockOffset = 0;

export function serverNow() {
  return Date.now() + clockOffset;
}

function learnClock(response) {
  const date = Date.parse(response.headers.get('date') ?? '');
  if (Number.isNaN(date)) return;
  // The header has whole seconds: only a skew beyond that is worth correcting.
  const offset = date - Date.now();
  clockOffset = Math.abs(offset) > 1500 ? offset : 0;
}

/** Listeners told about a 401 (the page then asks for a token). */
const unauthorizedListeners = new Set();
export function onUnauthorized(listener) {
  unauthorizedListeners.add(listener);
}

export async function api(path, { method = 'GET', body, retries = 0 } = {}) {
  const headers = { accept: 'application/json' };
  const token = getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response;
  for (let attempt = 0; ; attempt++) {
    try {
      response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      break;
    } catch (error) {
      // Only requests that are safe to repeat ask for retries (events carry an idempotency id).
      if (attempt >= retries) throw new ApiError(0, { title: 'Network', detail: String(error?.message ?? error) });
      await new Promise((resolve) => setTimeout(resolve, 300 * (attempt + 1)));
    }
  }
  learnClock(response);
  const text = await response.text();
  let payload = null;
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

export const getScript = () => api('/v1/script');
export const getMachine = () => api('/v1/machine');
export const listActiveCalls = () => api('/v1/calls?status=active&limit=200');
export const getCall = (callId) => api(`/v1/calls/${enc(callId)}`);
export const getHistory = (callId) => api(`/v1/calls/${enc(callId)}/history`);
export const createCall = (body) => api('/v1/calls', { method: 'POST', body });
export const sendEvent = (callId, type, data) =>
  api(`/v1/calls/${enc(callId)}/events`, {
    method: 'POST',
    body: data && Object.keys(data).length > 0 ? { type, id: newId(), data } : { type, id: newId() },
    retries: 2,
  });

/** The SSE URL: EventSource cannot send headers, so the token rides in the query. */
export function streamUrl(callId) {
  const token = getToken();
  return `/v1/calls/${enc(callId)}/stream${token ? `?access_token=${enc(token)}` : ''}`;
}
