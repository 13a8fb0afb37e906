/**
 * POST /v1/calls/{callId}/utterances (SPEC §12): shapes, only events allowed now, auto-apply
 * on hold (hold.check, the check re-armed, history source "transcript"), the stream's
 * `suggestion` events, bad bodies, the role, and the line kept out of the store and the log.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { bodyAjv } from '../../src/http/ajv.js';
import { UtteranceResponse } from '../../src/http/utterance.schema.js';
import { apply, getHistory, newCall, problemOf, SseReader, sleep, uniqueId, type View } from '../support/api.js';
import { buildTestApp, post, type TestApp } from '../support/app.js';

interface Suggestion {
  type: string;
  data?: Record<string, string>;
  confidence: number;
  evidence: string[];
  applied?: true;
}
interface Heard {
  suggestions: Suggestion[];
  applied?: View;
}

const checkResponse = bodyAjv.compile(UtteranceResponse);

const dir = mkdtempSync(join(tmpdir(), 'callflow-utterances-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function hear(app: TestApp, callId: string, body: Record<string, unknown>) {
  const res = await post(app, `/v1/calls/${callId}/utterances`, body);
  expect(res.statusCode, res.body).toBe(200);
  const heard = res.json() as Heard;
  // Every answer matches the route's own response schema (the OpenAPI comes from it).
  expect(checkResponse(heard), JSON.stringify(checkResponse.errors)).toBe(true);
  return heard;
}
const customer = (text: string, extra: Record<string, unknown> = {}) => ({ speaker: 'customer', text, ...extra });

describe('suggestions', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await buildTestApp({ HOLD_CHECK_SECONDS: '600' });
  });
  afterAll(async () => app?.close());

  it('answers the ranked suggestions with confidence, evidence and data, and applies nothing by default', async () => {
    const call = await newCall(app);
    const heard = await hear(app, call.callId, customer('я не гражданин россии и телефон не хочу давать'));
    expect(heard.applied).toBeUndefined();
    expect(heard.suggestions.map((s) => s.type).sort()).toEqual(['customer.contact-refused', 'customer.non-citizen']);
    expect(heard.suggestions.find((s) => s.type === 'customer.contact-refused')).toMatchObject({
      data: { field: 'phone' },
      evidence: ['телефон', 'не', 'хочу'],
    });
    expect(heard.suggestions.find((s) => s.type === 'customer.non-citizen')!.evidence).toEqual(['не', 'гражданин']);
    for (let i = 1; i < heard.suggestions.length; i++) {
      expect(heard.suggestions[i - 1]!.confidence).toBeGreaterThanOrEqual(heard.suggestions[i]!.confidence);
    }
    // Suggesting changes nothing: the call is where it was.
    const after = (await app.inject({ url: `/v1/calls/${call.callId}` })).json() as View;
    expect(after.version).toBe(call.version);
  });

  it('the data is ready to post: a name, a topic', async () => {
    const call = await newCall(app);
    const named = await hear(app, call.callId, customer('меня зовут Анна Сергеевна'));
    expect(named.suggestions[0]).toMatchObject({
      type: 'customer.identified',
      data: { firstName: 'Анна', patronymic: 'Сергеевна' },
    });
    const topic = await hear(app, call.callId, customer('мне пришла какая-то новая рассылка про кофеварку что это'));
    const suggestion = topic.suggestions.find((s) => s.type === 'customer.unknown-topic')!;
    expect(suggestion.data).toEqual({ topic: 'новая рассылка про кофеварку' });
    // Posting it as it is works (the data passes the event's own schema).
    const view = await apply(app, call.callId, { type: suggestion.type, data: suggestion.data });
    expect(view.prompts[0]!.key).toBe('info.unknown-topic');
  });

  it('only events allowed now: no repeat before an answer, no offer reply before the offer', async () => {
    const call = await newCall(app);
    expect((await hear(app, call.callId, customer('повторите пожалуйста ещё раз'))).suggestions).toEqual([]);
    await apply(app, call.callId, { type: 'answer.given' });
    expect((await hear(app, call.callId, customer('повторите пожалуйста ещё раз'))).suggestions[0]!.type).toBe(
      'customer.repeat-request',
    );

    expect((await hear(app, call.callId, customer('да давайте'))).suggestions).toEqual([]);
    await apply(app, call.callId, { type: 'customer.non-citizen' });
    expect((await hear(app, call.callId, customer('да давайте'))).suggestions[0]!.type).toBe('offer.accepted');
  });

  it('an operator line gives nothing, and an ended call gives nothing', async () => {
    const call = await newCall(app);
    await apply(app, call.callId, { type: 'call.hold' });
    const heard = await hear(app, call.callId, { speaker: 'operator', text: 'вас не слышно, алло' });
    expect(heard).toEqual({ suggestions: [] });
    await apply(app, call.callId, { type: 'call.hangup' });
    expect(await hear(app, call.callId, customer('блять'))).toEqual({ suggestions: [] });
  });

  it('bad bodies are 400s naming the field; an unknown call is a 404', async () => {
    const call = await newCall(app);
    const url = `/v1/calls/${call.callId}/utterances`;
    for (const [body, field] of [
      [{ text: 'алло' }, 'speaker'],
      [{ speaker: 'customer' }, 'text'],
      [{ speaker: 'customer', text: '' }, 'text'],
      [{ speaker: 'customer', text: 'а'.repeat(2001) }, 'text'],
      [{ speaker: 'customer', text: 7 }, 'text'],
      [{ speaker: 'customer', text: 'алло\u0000' }, 'text'],
      [{ speaker: 'robot', text: 'алло' }, 'speaker'],
      [{ speaker: 'customer', text: 'алло', id: '' }, 'id'],
      [{ speaker: 'customer', text: 'алло', mood: 'angry' }, 'mood'],
    ] as const) {
      const problem = problemOf(await post(app, url, body), 400);
      expect(JSON.stringify(problem), JSON.stringify(body)).toContain(field);
    }
    expect((await post(app, url, customer('а'.repeat(2000)))).statusCode).toBe(200);
    problemOf(await post(app, '/v1/calls/no-such-call/utterances', customer('алло')), 404);
    problemOf(await post(app, '/v1/calls/bad%20id/utterances', customer('алло')), 400);
    const plain = await app.inject({ method: 'POST', url, payload: 'алло', headers: { 'content-type': 'text/plain' } });
    problemOf(plain, 415);
  });
});

describe('auto-apply', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await buildTestApp({ HOLD_CHECK_SECONDS: '600' });
  });
  afterAll(async () => app?.close());

  it('a customer line on hold is customer.speech: hold.check, the check re-armed, source "transcript"', async () => {
    const call = await newCall(app);
    const held = await apply(app, call.callId, { type: 'call.hold' });
    const armed = Date.parse(held.timers[0]!.dueAt);
    await sleep(30);
    const heard = await hear(app, call.callId, customer('алло вы тут'));
    expect(heard.suggestions[0]).toEqual({ type: 'customer.speech', confidence: 1, evidence: [], applied: true });
    expect(heard.applied).toMatchObject({ state: 'hold', version: held.version + 1 });
    expect(heard.applied!.prompts.map((p) => p.key)).toEqual(['hold.check']);
    expect(Date.parse(heard.applied!.timers[0]!.dueAt)).toBeGreaterThan(armed);

    const last = (await getHistory(app, call.callId)).at(-1)!;
    expect(last).toMatchObject({ type: 'customer.speech', source: 'transcript', data: {} });
  });

  it('a retried line (same id) applies once', async () => {
    const call = await newCall(app);
    const held = await apply(app, call.callId, { type: 'call.hold' });
    const first = await hear(app, call.callId, customer('ну долго ещё', { id: 'line-1' }));
    const again = await hear(app, call.callId, customer('ну долго ещё', { id: 'line-1' }));
    expect(first.applied!.version).toBe(held.version + 1);
    expect(again.applied).toMatchObject({ version: held.version + 1, replayed: true });
    expect((await getHistory(app, call.callId)).filter((e) => e.type === 'customer.speech')).toHaveLength(1);
  });

  it('AUTO_APPLY names the types and AUTO_APPLY_CONFIDENCE the bar; an empty AUTO_APPLY applies nothing', async () => {
    const strict = await buildTestApp({ AUTO_APPLY: 'customer.profanity', AUTO_APPLY_CONFIDENCE: '0.9' });
    const none = await buildTestApp({ AUTO_APPLY: '' });
    try {
      const call = await newCall(strict);
      const heard = await hear(strict, call.callId, customer('да идите вы нахуй'));
      expect(heard.applied!.prompts.map((p) => p.key)).toEqual(['profanity.warning']);
      // An insult below the bar is suggested, not applied.
      const weak = await hear(strict, call.callId, customer('вы идиоты'));
      expect(weak.applied).toBeUndefined();
      expect(weak.suggestions[0]).toMatchObject({ type: 'customer.profanity' });
      expect(weak.suggestions[0]!.confidence).toBeLessThan(0.9);

      const quiet = await newCall(none);
      await apply(none, quiet.callId, { type: 'call.hold' });
      const onHold = await hear(none, quiet.callId, customer('алло'));
      expect(onHold.applied).toBeUndefined();
      expect(onHold.suggestions.map((s) => s.type)).toEqual(['customer.speech']);
    } finally {
      await strict.close();
      await none.close();
    }
  });
});

describe('roles', () => {
  it('the route needs the operator role (a telephony token gets 403)', async () => {
    const app = await buildTestApp({ API_TOKENS: 'tel-token:telephony,op-token:operator' });
    try {
      const created = await app.inject({
        method: 'POST',
        url: '/v1/calls',
        payload: { callId: uniqueId('roles') },
        headers: { authorization: 'Bearer tel-token' },
      });
      const { callId } = created.json() as View;
      const as = (token: string) =>
        app.inject({
          method: 'POST',
          url: `/v1/calls/${callId}/utterances`,
          payload: customer('алло'),
          headers: { authorization: `Bearer ${token}` },
        });
      problemOf(await as('tel-token'), 403);
      expect((await as('op-token')).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});

describe('the stream and the line itself', () => {
  const lines: string[] = [];
  const dbPath = join(dir, 'utterances.db');
  let app: Awaited<ReturnType<typeof buildApp>>;
  let base: string;
  const readers: SseReader[] = [];

  beforeAll(async () => {
    app = await buildApp(
      loadConfig({ DATABASE_URL: `sqlite:${dbPath}`, HOLD_CHECK_SECONDS: '600', LOG_LEVEL: 'trace' }),
      { logger: { level: 'trace', stream: { write: (line: string) => lines.push(line) } } },
    );
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterEach(() => {
    for (const r of readers.splice(0)) r.close();
  });

  async function postLine(callId: string, body: Record<string, unknown>) {
    const res = await fetch(`${base}/v1/calls/${callId}/utterances`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as Heard;
  }

  it('each suggestion is sent on the call stream as a `suggestion` event', async () => {
    const callId = uniqueId('sse');
    await fetch(`${base}/v1/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ callId }),
    });
    const reader = await SseReader.open(`${base}/v1/calls/${callId}/stream`);
    readers.push(reader);
    await reader.waitFor((r) => r.messages.length >= 1, 5_000, 'the current view');
    const heard = await postLine(callId, customer('я не гражданин россии и карточки в газете нет', { id: 'u-7' }));
    await reader.waitFor(
      (r) => r.messages.filter((m) => m.event === 'suggestion').length >= heard.suggestions.length,
      5_000,
      'the suggestions',
    );
    const sent = reader.messages.filter((m) => m.event === 'suggestion').map((m) => JSON.parse(m.data));
    expect(sent.map((s) => s.type)).toEqual(heard.suggestions.map((s) => s.type));
    expect(sent[0]).toMatchObject({ ...heard.suggestions[0], rank: 0, version: 0, utteranceId: 'u-7' });
    // A suggestion is no change: no call event followed it.
    expect(reader.messages.filter((m) => m.event === 'call')).toHaveLength(1);
  });

  it('the line is neither stored nor logged, even when it is applied', async () => {
    const callId = uniqueId('secret');
    // A word no catalogue, code or test elsewhere holds.
    const secret = 'Ксилофонщица-Евдокимовна-73914';
    await fetch(`${base}/v1/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ callId }),
    });
    await postLine(callId, customer(`карточки нет ${secret}`));
    await fetch(`${base}/v1/calls/${callId}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'call.hold' }),
    });
    const heard = await postLine(callId, customer(`${secret} алло вы тут`, { id: 'line-secret' }));
    expect(heard.applied?.prompts[0]?.key).toBe('hold.check');
    // Refused lines carry it too.
    const bad = await fetch(`${base}/v1/calls/${callId}/utterances`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ speaker: 'nobody', text: secret }),
    });
    expect(bad.status).toBe(400);
    await app.close();

    const files = [dbPath, `${dbPath}-wal`, `${dbPath}-shm`].filter((file) => existsSync(file));
    expect(files.length).toBeGreaterThan(0);
    expect(readFileSync(dbPath).includes(Buffer.from('call.hold'))).toBe(true);
    for (const part of ['Ксилофонщица', 'Евдокимовна', '73914']) {
      for (const file of files)
        expect(readFileSync(file).includes(Buffer.from(part)), `${part} in ${file}`).toBe(false);
      expect(lines.join('\n')).not.toContain(part);
    }
    expect(lines.some((line) => line.includes('/utterances'))).toBe(true);
  });
});
