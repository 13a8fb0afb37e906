/**
 * The hold check through the API (HOLD_CHECK_SECONDS=0.2): it fires on its own, is recorded
 * as `hold.check` with source `timer`, counts as a version, re-arms from the moment it fired,
 * and stops on unhold and on hangup.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply, getHistory, getView, type HistoryEvent, newCall, sleep, until } from '../support/api.js';
import { buildTestApp, type TestApp } from '../support/app.js';
import { NAME, named } from './texts.js';

const CHECK_MS = 200;
let app: TestApp;
beforeAll(async () => {
  app = await buildTestApp({ HOLD_CHECK_SECONDS: String(CHECK_MS / 1000) });
});
afterAll(async () => {
  await app?.close();
});

const checks = (history: HistoryEvent[]) => history.filter((h) => h.type === 'hold.check');

describe('hold check', () => {
  it('fires while on hold, recorded as hold.check from the timer, each one a version', async () => {
    const { callId } = await newCall(app, { customer: NAME });
    const held = await apply(app, callId, { type: 'call.hold', id: 'h' });
    const armedDue = Date.parse(held.timers[0]?.dueAt ?? '');
    const history = await until(
      async () => {
        const h = await getHistory(app, callId);
        return checks(h).length >= 2 ? h : null;
      },
      { message: 'two hold checks' },
    );

    const [first, second] = checks(history) as [HistoryEvent, HistoryEvent];
    for (const entry of [first, second]) {
      expect(entry).toMatchObject({ id: null, type: 'hold.check', data: {}, source: 'timer', state: held.state });
      expect(entry.prompts).toEqual([
        {
          key: 'hold.check',
          text: named('hold.check'),
          instruction: expect.any(String),
        },
      ]);
    }
    // Not before it was due; re-armed from the moment it fired.
    expect(Date.parse(first.at)).toBeGreaterThanOrEqual(armedDue);
    expect(Date.parse(second.at) - Date.parse(first.at)).toBeGreaterThanOrEqual(CHECK_MS - 5);
    expect(history.map((h) => h.seq)).toEqual(history.map((_, i) => i + 1));

    // The view shows the latest firing's prompt, its version, and the next check.
    const view = await getView(app, callId);
    const latest = await getHistory(app, callId);
    expect(view.version).toBe(latest.length);
    expect(view.prompts.map((p) => p.key)).toEqual(['hold.check']);
    expect(view.timers).toHaveLength(1);
    expect(Date.parse(view.timers[0]?.dueAt ?? '')).toBeGreaterThan(Date.parse(latest.at(-1)?.at ?? ''));

    // Unhold disarms it: no more checks.
    const back = await apply(app, callId, { type: 'call.unhold' });
    expect(back.timers).toEqual([]);
    const count = checks(await getHistory(app, callId)).length;
    await sleep(CHECK_MS * 2.5);
    const after = await getHistory(app, callId);
    expect(checks(after)).toHaveLength(count);
    expect(after.at(-1)?.type).toBe('call.unhold');
    expect((await getView(app, callId)).version).toBe(after.length);
  });

  it('customer.speech re-arms the check from that moment', async () => {
    const { callId } = await newCall(app);
    await apply(app, callId, { type: 'call.hold' });
    await sleep(CHECK_MS * 0.6);
    const spoke = await apply(app, callId, { type: 'customer.speech', id: 'speech' });
    expect(spoke.prompts.map((p) => p.key)).toEqual(['hold.check']);
    const history = await until(async () => {
      const h = await getHistory(app, callId);
      const speech = h.find((e) => e.id === 'speech');
      return speech && h.some((e) => e.source === 'timer' && e.seq > speech.seq) ? h : null;
    });
    const held = history[0] as HistoryEvent;
    const speech = history.find((e) => e.id === 'speech') as HistoryEvent;
    expect(Date.parse(spoke.timers[0]?.dueAt ?? '')).toBe(Date.parse(speech.at) + CHECK_MS);
    // (On a slow machine the first check may have come before the speech: then not early.)
    for (const e of history.filter((x) => x.source === 'timer' && x.seq < speech.seq)) {
      expect(Date.parse(e.at)).toBeGreaterThanOrEqual(Date.parse(held.at) + CHECK_MS);
    }
    // After the speech, the next check is a full period later, not at the old due time.
    const next = history.find((e) => e.source === 'timer' && e.seq > speech.seq) as HistoryEvent;
    expect(Date.parse(next.at)).toBeGreaterThanOrEqual(Date.parse(speech.at) + CHECK_MS);
    await apply(app, callId, { type: 'call.hangup' });
  });

  it('a hangup on hold disarms it', async () => {
    const { callId } = await newCall(app);
    await apply(app, callId, { type: 'call.hold' });
    const ended = await apply(app, callId, { type: 'call.hangup', data: { by: 'customer' } });
    expect(ended.timers).toEqual([]);
    await sleep(CHECK_MS * 2);
    const history = await getHistory(app, callId);
    // (A slow machine may fit a check in between; none may come after.)
    expect(history.at(-1)?.type).toBe('call.hangup');
    expect(history.filter((h) => h.type !== 'hold.check').map((h) => h.type)).toEqual(['call.hold', 'call.hangup']);
    expect((await getView(app, callId)).version).toBe(history.length);
  });

  it('a repeat count survives the hold and the checks', async () => {
    const { callId } = await newCall(app);
    await apply(app, callId, { type: 'answer.given' });
    await apply(app, callId, { type: 'customer.repeat-request' });
    await apply(app, callId, { type: 'call.hold' });
    await until(async () => checks(await getHistory(app, callId)).length >= 1);
    const back = await apply(app, callId, { type: 'call.unhold' });
    expect(back.counters.repeats).toBe(1);
    expect(back.allowedEvents).toContain('customer.repeat-request');
  });
});
