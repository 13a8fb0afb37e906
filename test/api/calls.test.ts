/**
 * SPEC §3 through app.inject: creating a call, applying events, the call view, history,
 * the list, and what `version` does. Phrases are checked in Russian, with the name rendered
 * and with the И.О. drop rule.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apply,
  applyAll,
  createCall,
  type EventBody,
  getHistory,
  getView,
  HISTORY_KEYS,
  ISO_DATE,
  newCall,
  problemOf,
  sendEvent,
  uniqueId,
  VIEW_KEYS,
  type View,
} from '../support/api.js';
import { buildTestApp, post, type TestApp } from '../support/app.js';
import { type AddressedKey, anonymous, FIXED, GREETING_EN, NAME, named } from './texts.js';

let app: TestApp;
beforeAll(async () => {
  // A long hold check: these tests look at the view while on hold without a timer firing.
  app = await buildTestApp({ HOLD_CHECK_SECONDS: '60' });
});
afterAll(async () => {
  await app?.close();
});

function expectViewShape(view: View) {
  for (const key of VIEW_KEYS) expect(view, `view.${key}`).toHaveProperty(key);
  expect(['active', 'ended']).toContain(view.status);
  expect(Number.isInteger(view.version)).toBe(true);
  if (Array.isArray(view.state)) {
    expect(view.state.length).toBeGreaterThan(1);
    for (const path of view.state) expect(path).toMatch(/^[\w-]+(\.[\w-]+)*$/);
  } else {
    expect(view.state).toMatch(/^[\w-]+(\.[\w-]+)*$/);
  }
  expect(Object.keys(view.counters).sort()).toEqual(['connectionAttempts', 'repeats', 'warnings']);
  for (const n of Object.values(view.counters)) expect(Number.isInteger(n)).toBe(true);
  for (const p of view.prompts) {
    expect(Object.keys(p).sort()).toEqual(['instruction', 'key', 'text']);
    expect(typeof p.text).toBe('string');
  }
  for (const t of view.timers) {
    expect(Object.keys(t).sort()).toEqual(['dueAt', 'name']);
    expect(t.dueAt).toMatch(ISO_DATE);
  }
  for (const a of view.actions) expect(typeof a.type).toBe('string');
  expect(view.allowedEvents).toBeInstanceOf(Array);
  if (view.status === 'ended') {
    expect(['completed', 'repeat-limit', 'connection-lost', 'profanity', 'offer-declined', 'hangup']).toContain(
      view.endReason,
    );
    expect(view.allowedEvents).toEqual([]);
  } else {
    expect(view.endReason).toBeNull();
  }
}

describe('POST /v1/calls', () => {
  it('creates a call: 201, version 0, the greeting, an empty history', async () => {
    const callId = uniqueId();
    const res = await post(app, '/v1/calls', { callId });
    expect(res.statusCode).toBe(201);
    expect(res.headers['content-type']).toMatch(/^application\/json\b/);
    const view = res.json() as View;
    expectViewShape(view);
    expect(view).toMatchObject({
      callId,
      status: 'active',
      version: 0,
      customer: null,
      prompts: [{ key: 'greeting', text: FIXED.greeting, instruction: null }],
      counters: { repeats: 0, connectionAttempts: 0, warnings: 0 },
      timers: [],
      actions: [],
      endReason: null,
    });
    expect(view.replayed).toBeUndefined();
    // Regions run in parallel in a conversation: the state is one path per region.
    expect(Array.isArray(view.state)).toBe(true);
    expect(view.allowedEvents).toEqual(
      expect.arrayContaining(['customer.identified', 'call.hangup', 'call.hold', 'answer.given', 'customer.prank']),
    );
    for (const refused of ['customer.repeat-request', 'call.unhold', 'customer.speech', 'offer.accepted']) {
      expect(view.allowedEvents).not.toContain(refused);
    }
    expect(await getHistory(app, callId)).toEqual([]);
    expect(await getView(app, callId)).toEqual(view);
  });

  it('accepts an Asterisk uniqueid and every allowed character, up to 128 of them', async () => {
    for (const callId of [`1732540000.${Date.now() % 100000}`, `a_b:c-d.E9-${uniqueId()}`, `${'x'.repeat(127)}Z`]) {
      const res = await post(app, '/v1/calls', { callId });
      expect(res.statusCode, res.body).toBe(201);
      expect(await getView(app, callId)).toMatchObject({ callId, version: 0 });
      expect(await getHistory(app, callId)).toEqual([]);
      await apply(app, callId, { type: 'call.hangup' });
    }
  });

  it('takes the customer and locale from the body', async () => {
    const ru = await createCall(app, { callId: uniqueId(), customer: NAME, locale: 'ru' });
    expect(ru.customer).toEqual(NAME);
    expect(ru.prompts[0]?.text).toBe(FIXED.greeting);
    const held = await apply(app, ru.callId, { type: 'call.hold' });
    expect(held.prompts).toEqual([{ key: 'hold.start', text: named('hold.start'), instruction: null }]);

    const en = await createCall(app, { callId: uniqueId(), locale: 'en' });
    expect(en.prompts).toEqual([{ key: 'greeting', text: GREETING_EN, instruction: null }]);
    // English: the {name} address, dropped (and the next word capitalised) without a name.
    expect((await apply(app, en.callId, { type: 'call.hold' })).prompts[0]?.text).toBe(
      'Please stay on the line, I will check the information',
    );
    await apply(app, en.callId, { type: 'customer.identified', data: { firstName: 'John' } });
    expect((await apply(app, en.callId, { type: 'customer.speech' })).prompts[0]?.text).toBe(
      'John, please stay on the line. I am checking the information for you',
    );
  });

  it('the same body again answers 200 with the current view and changes nothing', async () => {
    const callId = uniqueId();
    const body = { callId, customer: { firstName: 'Мария', patronymic: 'Ивановна' }, locale: 'ru' };
    const first = await createCall(app, body);
    const again = await post(app, '/v1/calls', body);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(first);
    // Key order does not make another body.
    const reordered = await post(app, '/v1/calls', {
      locale: 'ru',
      customer: { patronymic: 'Ивановна', firstName: 'Мария' },
      callId,
    });
    expect(reordered.statusCode).toBe(200);

    // After events: 200 with the *current* view, still no new history.
    await apply(app, callId, { type: 'answer.given' });
    const current = await getView(app, callId);
    const later = await post(app, '/v1/calls', body);
    expect(later.statusCode).toBe(200);
    expect(later.json()).toEqual(current);
    expect(current.version).toBe(1);
    expect(await getHistory(app, callId)).toHaveLength(1);
  });

  it('the same body for an ended call is still 200', async () => {
    const callId = uniqueId();
    await createCall(app, { callId });
    await apply(app, callId, { type: 'call.hangup', data: { by: 'operator' } });
    const res = await post(app, '/v1/calls', { callId });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ callId, status: 'ended', endReason: 'hangup', version: 1 });
  });

  it('another body for an existing callId is a 409 problem and changes nothing', async () => {
    const callId = uniqueId();
    const created = await createCall(app, { callId, customer: NAME });
    for (const body of [
      { callId },
      { callId, customer: { firstName: 'Иван' } },
      { callId, customer: NAME, locale: 'en' },
      { callId, customer: { firstName: 'Пётр', patronymic: 'Петрович' } },
    ]) {
      problemOf(await post(app, '/v1/calls', body), 409);
    }
    expect(await getView(app, callId)).toEqual(created);
  });
});

describe('POST /v1/calls/:callId/events: prompts', () => {
  interface Case {
    title: string;
    before: string[];
    event: EventBody;
    key: string;
    addressed?: AddressedKey;
    fixed?: keyof typeof FIXED;
  }
  const cases: Case[] = [
    {
      title: '1 prolonging',
      before: [],
      event: { type: 'customer.prolonging' },
      key: 'closing.offer-help',
      addressed: 'closing.offer-help',
    },
    { title: '2 hold', before: [], event: { type: 'call.hold' }, key: 'hold.start', addressed: 'hold.start' },
    {
      title: '3 speech on hold',
      before: ['call.hold'],
      event: { type: 'customer.speech' },
      key: 'hold.check',
      addressed: 'hold.check',
    },
    {
      title: '4 unhold',
      before: ['call.hold'],
      event: { type: 'call.unhold' },
      key: 'hold.return',
      addressed: 'hold.return',
    },
    { title: '6 prank', before: [], event: { type: 'customer.prank' }, key: 'prank.warning', fixed: 'prank.warning' },
    {
      title: '7 cannot hear',
      before: [],
      event: { type: 'customer.cannot-hear' },
      key: 'connection.cannot-hear',
      addressed: 'connection.cannot-hear',
    },
    {
      title: '8 inaudible',
      before: [],
      event: { type: 'customer.inaudible' },
      key: 'connection.inaudible',
      addressed: 'connection.inaudible',
    },
    {
      title: '9 profanity',
      before: [],
      event: { type: 'customer.profanity' },
      key: 'profanity.warning',
      addressed: 'profanity.warning',
    },
    {
      title: '9 profanity again',
      before: ['customer.profanity'],
      event: { type: 'customer.profanity' },
      key: 'profanity.termination',
      addressed: 'profanity.termination',
    },
    {
      title: '10 location',
      before: [],
      event: { type: 'customer.location-question' },
      key: 'info.location',
      addressed: 'info.location',
    },
    {
      title: '11 unknown topic',
      before: [],
      event: { type: 'customer.unknown-topic', data: { topic: 'Новая рассылка' } },
      key: 'info.unknown-topic',
      addressed: 'info.unknown-topic',
    },
    {
      title: '12 non-citizen',
      before: [],
      event: { type: 'customer.non-citizen' },
      key: 'offer.mail-order',
      addressed: 'offer.mail-order',
    },
    {
      title: '13 no card',
      before: [],
      event: { type: 'customer.no-card' },
      key: 'reassure.no-card',
      fixed: 'reassure.no-card',
    },
    {
      title: '14 contact refused',
      before: [],
      event: { type: 'customer.contact-refused', data: { field: 'email' } },
      key: 'reassure.skip-contact',
      addressed: 'reassure.skip-contact',
    },
    {
      title: '15 third party',
      before: [],
      event: { type: 'customer.third-party' },
      key: 'registration.third-party',
      fixed: 'registration.third-party',
    },
    {
      title: '7 fourth attempt',
      before: ['customer.cannot-hear', 'customer.cannot-hear', 'customer.cannot-hear'],
      event: { type: 'customer.cannot-hear' },
      key: 'connection.call-back',
      fixed: 'connection.call-back',
    },
    {
      title: '5 repeat limit',
      before: ['answer.given', 'customer.repeat-request', 'customer.repeat-request', 'customer.repeat-request'],
      event: { type: 'customer.repeat-request' },
      key: 'repeat.limit',
      addressed: 'repeat.limit',
    },
  ];

  for (const c of cases) {
    const expected = (withName: boolean) =>
      c.fixed ? FIXED[c.fixed] : withName ? named(c.addressed as AddressedKey) : anonymous(c.addressed as AddressedKey);

    it(`${c.title}: with the name identified`, async () => {
      const { callId } = await newCall(app);
      await apply(app, callId, { type: 'customer.identified', data: { ...NAME } });
      for (const type of c.before) await apply(app, callId, { type });
      const view = await apply(app, callId, c.event);
      expect(view.prompts.map((p) => [p.key, p.text])).toEqual([[c.key, expected(true)]]);
    });

    it(`${c.title}: without a name the address is dropped`, async () => {
      const { callId } = await newCall(app);
      for (const type of c.before) await apply(app, callId, { type });
      const view = await apply(app, callId, c.event);
      expect(view.prompts.map((p) => [p.key, p.text])).toEqual([[c.key, expected(false)]]);
      const text = view.prompts[0]?.text ?? '';
      expect(text.charAt(0)).toBe(text.charAt(0).toLocaleUpperCase());
      expect(text).not.toMatch(/^\s*,|И\.\s?О\.|^ИО/);
    });
  }

  it('a name given at creation, and a first name alone, are rendered', async () => {
    const withName = await newCall(app, { customer: NAME });
    expect((await apply(app, withName.callId, { type: 'customer.location-question' })).prompts[0]?.text).toBe(
      named('info.location'),
    );
    const firstOnly = await newCall(app);
    await apply(app, firstOnly.callId, { type: 'customer.identified', data: { firstName: 'Ольга' } });
    const view = await apply(app, firstOnly.callId, { type: 'call.hold' });
    expect(view.customer).toEqual({ firstName: 'Ольга' });
    expect(view.prompts[0]?.text).toBe(named('hold.start', 'Ольга'));
  });

  it('customer.identified gives no prompt and is accepted on hold and in a connection episode', async () => {
    const { callId } = await newCall(app);
    const identified = await apply(app, callId, { type: 'customer.identified', data: { ...NAME } });
    expect(identified.prompts).toEqual([]);
    expect(identified.customer).toEqual(NAME);
    await apply(app, callId, { type: 'call.hold' });
    const onHold = await apply(app, callId, { type: 'customer.identified', data: { firstName: 'Пётр' } });
    expect(onHold.state).toBe(await getView(app, callId).then((v) => v.state));
    expect(onHold.customer).toEqual({ firstName: 'Пётр' });
    const back = await apply(app, callId, { type: 'call.unhold' });
    expect(back.prompts[0]?.text).toBe(named('hold.return', 'Пётр'));
  });

  it('repeat.limit carries the instruction to summarise first', async () => {
    const { callId } = await newCall(app);
    const view = await applyAll(app, callId, [
      'answer.given',
      'customer.repeat-request',
      'customer.repeat-request',
      'customer.repeat-request',
      'customer.repeat-request',
    ]);
    expect(view.prompts[0]?.key).toBe('repeat.limit');
    expect(view.prompts[0]?.instruction).toMatch(/резюм/i);
  });
});

describe('the call view', () => {
  it('a conversation is one path per parallel region; on hold it is one string', async () => {
    const { callId } = await newCall(app);
    const talking = await apply(app, callId, { type: 'answer.given' });
    expectViewShape(talking);
    expect(Array.isArray(talking.state)).toBe(true);
    const held = await apply(app, callId, { type: 'call.hold' });
    expectViewShape(held);
    expect(typeof held.state).toBe('string');
    expect(held.allowedEvents.slice().sort()).toEqual(
      ['call.hangup', 'call.unhold', 'customer.identified', 'customer.speech'].sort(),
    );
  });

  it('timers: the armed hold check with its dueAt, gone after unhold and after hangup', async () => {
    const { callId } = await newCall(app);
    const before = Date.now();
    const held = await apply(app, callId, { type: 'call.hold' });
    expect(held.timers).toHaveLength(1);
    expect(held.timers[0]?.name).toBe('hold.check');
    const due = Date.parse(held.timers[0]?.dueAt ?? '');
    expect(due).toBeGreaterThanOrEqual(before + 60_000 - 5);
    expect(due).toBeLessThanOrEqual(Date.now() + 60_000 + 5);
    expect((await getView(app, callId)).timers).toEqual(held.timers);

    // customer.speech re-arms it from that moment.
    const spoke = await apply(app, callId, { type: 'customer.speech' });
    expect(spoke.timers).toHaveLength(1);
    expect(Date.parse(spoke.timers[0]?.dueAt ?? '')).toBeGreaterThanOrEqual(due);

    expect((await apply(app, callId, { type: 'call.unhold' })).timers).toEqual([]);
    await apply(app, callId, { type: 'call.hold' });
    const hung = await apply(app, callId, { type: 'call.hangup', data: { by: 'network' } });
    expect(hung.timers).toEqual([]);
    expect(hung).toMatchObject({ status: 'ended', endReason: 'hangup' });
  });

  it('actions: an unknown topic starts a supervisor escalation {type, topic, id}; only for that event', async () => {
    const { callId } = await newCall(app);
    const topic = 'Новая рассылка журнала «Здоровье»';
    const view = await apply(app, callId, { type: 'customer.unknown-topic', data: { topic } });
    // SPEC §8: the actions entry carries the escalation's id.
    expect(view.actions).toEqual([
      { type: 'supervisor.escalation', topic, id: expect.stringMatching(/^[0-9a-f-]{36}$/) },
    ]);
    expect((await getView(app, callId)).actions).toEqual(view.actions);
    const next = await apply(app, callId, { type: 'customer.location-question' });
    expect(next.actions).toEqual([]);
  });

  it('contact refusal is remembered (skippedFields)', async () => {
    const { callId } = await newCall(app);
    await apply(app, callId, { type: 'customer.contact-refused', data: { field: 'phone' } });
    const view = await apply(app, callId, { type: 'customer.contact-refused', data: { field: 'email' } });
    expect(view.skippedFields).toEqual(['phone', 'email']);
  });

  const endings: { reason: string; events: (EventBody | string)[]; counters: View['counters']; key: string | null }[] =
    [
      {
        reason: 'completed',
        events: ['customer.prolonging'],
        counters: { repeats: 0, connectionAttempts: 0, warnings: 0 },
        key: 'closing.offer-help',
      },
      {
        reason: 'repeat-limit',
        events: [
          'answer.given',
          'customer.repeat-request',
          'customer.repeat-request',
          'customer.repeat-request',
          'customer.repeat-request',
        ],
        counters: { repeats: 4, connectionAttempts: 0, warnings: 0 },
        key: 'repeat.limit',
      },
      {
        reason: 'connection-lost',
        events: ['customer.cannot-hear', 'customer.inaudible', 'customer.cannot-hear', 'customer.inaudible'],
        counters: { repeats: 0, connectionAttempts: 4, warnings: 0 },
        key: 'connection.call-back',
      },
      {
        reason: 'profanity',
        events: ['customer.profanity', 'customer.profanity'],
        counters: { repeats: 0, connectionAttempts: 0, warnings: 1 },
        key: 'profanity.termination',
      },
      {
        reason: 'offer-declined',
        events: ['customer.non-citizen', 'offer.declined'],
        counters: { repeats: 0, connectionAttempts: 0, warnings: 0 },
        key: 'offer.declined',
      },
      {
        reason: 'hangup',
        events: ['call.hold', { type: 'call.hangup', data: { by: 'customer' } }],
        counters: { repeats: 0, connectionAttempts: 0, warnings: 0 },
        key: null,
      },
    ];
  for (const ending of endings) {
    it(`endReason ${ending.reason}: status ended, counters, nothing allowed, no timers`, async () => {
      const { callId } = await newCall(app);
      const view = await applyAll(app, callId, ending.events);
      expectViewShape(view);
      expect(view).toMatchObject({
        status: 'ended',
        endReason: ending.reason,
        counters: ending.counters,
        allowedEvents: [],
        timers: [],
        version: ending.events.length,
      });
      if (ending.key) expect(view.prompts.map((p) => p.key)).toEqual([ending.key]);
      expect(await getView(app, callId)).toEqual(view);
    });
  }
});

describe('returns (SPEC §2)', () => {
  it('unhold and connection.restored go back to where the conversation was; a pending offer stays pending', async () => {
    const { callId } = await newCall(app);
    const pending = await apply(app, callId, { type: 'customer.non-citizen' });
    expect(pending.allowedEvents).toEqual(expect.arrayContaining(['offer.accepted', 'offer.declined']));
    await apply(app, callId, { type: 'call.hold' });
    const back = await apply(app, callId, { type: 'call.unhold' });
    expect(back.state).toEqual(pending.state);
    expect(back.allowedEvents).toEqual(pending.allowedEvents);
    const episode = await apply(app, callId, { type: 'customer.inaudible' });
    expect(episode.counters.connectionAttempts).toBe(1);
    expect(episode.allowedEvents.slice().sort()).toEqual(
      [
        'call.hangup',
        'connection.restored',
        'customer.cannot-hear',
        'customer.identified',
        'customer.inaudible',
      ].sort(),
    );
    const restored = await apply(app, callId, { type: 'connection.restored' });
    expect(restored.state).toEqual(pending.state);
    expect(restored.counters.connectionAttempts).toBe(0);
    expect(restored.prompts).toEqual([]);
    const accepted = await apply(app, callId, { type: 'offer.accepted' });
    expect(accepted.status).toBe('active');
    expect(accepted.allowedEvents).not.toContain('offer.accepted');
  });

  it('interjections keep the repeat count; answer.given resets it', async () => {
    const { callId } = await newCall(app);
    await applyAll(app, callId, ['answer.given', 'customer.repeat-request', 'customer.repeat-request']);
    const after = await applyAll(app, callId, ['customer.prank', 'customer.no-card', 'customer.third-party']);
    expect(after.counters.repeats).toBe(2);
    expect((await apply(app, callId, { type: 'customer.repeat-request' })).counters.repeats).toBe(3);
    expect((await apply(app, callId, { type: 'answer.given' })).counters.repeats).toBe(0);
    const again = await apply(app, callId, { type: 'customer.repeat-request' });
    expect(again).toMatchObject({ status: 'active', counters: { repeats: 1 } });
  });
});

describe('version', () => {
  it('grows by exactly one per applied event and not on replays or errors', async () => {
    const { callId } = await newCall(app);
    const versions: number[] = [];
    versions.push((await apply(app, callId, { type: 'answer.given', id: 'v1' })).version);
    versions.push((await apply(app, callId, { type: 'customer.repeat-request', id: 'v2' })).version);
    // A replay: the stored result, version unchanged.
    const replay = await sendEvent(app, callId, { type: 'customer.repeat-request', id: 'v2' });
    expect(replay.json()).toMatchObject({ version: 2, replayed: true });
    // Errors of every kind.
    expect((await sendEvent(app, callId, { type: 'call.unhold' })).statusCode).toBe(409);
    expect((await sendEvent(app, callId, { type: 'answer.given', id: 'v2' })).statusCode).toBe(409);
    expect((await sendEvent(app, callId, { type: 'no.such.event' })).statusCode).toBe(400);
    expect((await sendEvent(app, callId, { type: 'customer.identified', data: {} })).statusCode).toBe(400);
    expect((await getView(app, callId)).version).toBe(2);
    versions.push((await apply(app, callId, { type: 'call.hold' })).version);
    versions.push((await apply(app, callId, { type: 'customer.speech' })).version);
    versions.push((await apply(app, callId, { type: 'call.unhold' })).version);
    versions.push((await apply(app, callId, { type: 'customer.identified', data: { firstName: 'Анна' } })).version);
    expect(versions).toEqual([1, 2, 3, 4, 5, 6]);
    const history = await getHistory(app, callId);
    expect(history.map((h) => h.seq)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe('GET /v1/calls/:callId/history', () => {
  it('every applied event in order with {seq,id,type,data,source,at,state,prompts}', async () => {
    const { callId } = await newCall(app);
    const sent: EventBody[] = [
      { type: 'customer.identified', id: 'h-1', data: { firstName: 'Иван', patronymic: 'Петрович' } },
      { type: 'answer.given' },
      { type: 'customer.unknown-topic', id: 'h-3', data: { topic: 'Реклама' } },
      { type: 'call.hold', id: 'h-4' },
      { type: 'customer.speech' },
      { type: 'call.unhold', id: 'h-6' },
      { type: 'customer.contact-refused', data: { field: 'phone' } },
    ];
    const views: View[] = [];
    for (const e of sent) views.push(await apply(app, callId, e));
    // Errors and replays leave no trace.
    await sendEvent(app, callId, { type: 'call.unhold' });
    await sendEvent(app, callId, { type: 'call.hold', id: 'h-4' });

    const history = await getHistory(app, callId);
    expect(history).toHaveLength(sent.length);
    let lastAt = 0;
    history.forEach((entry, i) => {
      for (const key of HISTORY_KEYS) expect(entry, `history[${i}].${key}`).toHaveProperty(key);
      const e = sent[i] as EventBody;
      const view = views[i] as View;
      expect(entry.seq).toBe(i + 1);
      expect(entry.id).toBe(e.id ?? null);
      expect(entry.type).toBe(e.type);
      expect(entry.data).toEqual(e.data ?? {});
      expect(entry.source).toBe('api');
      expect(entry.at).toMatch(ISO_DATE);
      expect(Date.parse(entry.at)).toBeGreaterThanOrEqual(lastAt);
      lastAt = Date.parse(entry.at);
      expect(entry.state).toEqual(view.state);
      expect(entry.prompts).toEqual(view.prompts);
    });
    expect(history[3]?.prompts[0]?.text).toBe(named('hold.start'));
  });
});

describe('GET /v1/calls (list)', () => {
  let listApp: TestApp;
  const ids = ['list-a', 'list-b', 'list-c', 'list-d', 'list-e'];
  beforeAll(async () => {
    listApp = await buildTestApp();
    for (const callId of ids) await createCall(listApp, { callId });
    await apply(listApp, 'list-b', { type: 'call.hangup' });
    await apply(listApp, 'list-d', { type: 'customer.prolonging' });
  });
  afterAll(async () => {
    await listApp?.close();
  });

  const list = async (query: string) => {
    const res = await listApp.inject({ method: 'GET', url: `/v1/calls${query}` });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { calls: View[]; nextCursor: string | null };
  };

  it('lists every call as a view, nextCursor null at the end', async () => {
    const page = await list('');
    expect(page.calls.map((c) => c.callId).sort()).toEqual(ids);
    expect(page.nextCursor).toBeNull();
    for (const view of page.calls) {
      expectViewShape(view);
      expect(view).toEqual(await getView(listApp, view.callId));
    }
  });

  it('filters by status', async () => {
    const active = await list('?status=active');
    expect(active.calls.map((c) => c.callId).sort()).toEqual(['list-a', 'list-c', 'list-e']);
    expect(active.calls.every((c) => c.status === 'active')).toBe(true);
    const ended = await list('?status=ended');
    expect(ended.calls.map((c) => c.callId).sort()).toEqual(['list-b', 'list-d']);
    expect(ended.calls.map((c) => c.endReason).sort()).toEqual(['completed', 'hangup']);
  });

  it('pages with limit and cursor, each call once, nextCursor null on the last page', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await list(`?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.calls.length).toBeLessThanOrEqual(2);
      seen.push(...page.calls.map((c) => c.callId));
      cursor = page.nextCursor;
      pages++;
      expect(pages).toBeLessThanOrEqual(3);
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen.slice().sort()).toEqual(ids);
    expect(new Set(seen).size).toBe(ids.length);

    // limit exactly the number of calls: one page, no cursor.
    expect((await list('?limit=5')).nextCursor).toBeNull();
    // status and pagination together.
    const first = await list('?status=active&limit=2');
    expect(first.calls).toHaveLength(2);
    expect(first.nextCursor).not.toBeNull();
    const second = await list(`?status=active&limit=2&cursor=${encodeURIComponent(first.nextCursor as string)}`);
    expect(second.calls).toHaveLength(1);
    expect(second.nextCursor).toBeNull();
    expect([...first.calls, ...second.calls].map((c) => c.callId).sort()).toEqual(['list-a', 'list-c', 'list-e']);
  });
});

describe('operatorId (SPEC §8)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await buildTestApp();
  });
  afterAll(() => app.close());

  it('is optional on create, shown in the view, and filters the list', async () => {
    const withOperator = await post(app, '/v1/calls', { callId: 'op-a1', operatorId: 'op.anna-7' });
    expect(withOperator.statusCode).toBe(201);
    expect(withOperator.json()).toMatchObject({ operatorId: 'op.anna-7', scriptVersion: 1 });
    expect((await post(app, '/v1/calls', { callId: 'op-b1', operatorId: 'op.boris' })).statusCode).toBe(201);
    expect((await post(app, '/v1/calls', { callId: 'op-none' })).json().operatorId).toBeNull();
    expect((await post(app, '/v1/calls', { callId: 'op-a2', operatorId: 'op.anna-7' })).statusCode).toBe(201);
    const list = await app.inject({ method: 'GET', url: '/v1/calls?operatorId=op.anna-7' });
    expect(list.json().calls.map((c: { callId: string }) => c.callId)).toEqual(['op-a1', 'op-a2']);
    // The same body again is a replay; another operator for the same call is another body.
    expect((await post(app, '/v1/calls', { callId: 'op-a1', operatorId: 'op.anna-7' })).statusCode).toBe(200);
    expect((await post(app, '/v1/calls', { callId: 'op-a1', operatorId: 'op.boris' })).statusCode).toBe(409);
  });

  it('refuses a malformed operatorId with a 400 naming the field', async () => {
    const bad = await post(app, '/v1/calls', { callId: 'op-bad', operatorId: 'anna smith' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().detail).toContain('operatorId');
    const badQuery = await app.inject({ method: 'GET', url: '/v1/calls?operatorId=a%20b' });
    expect(badQuery.statusCode).toBe(400);
  });
});
