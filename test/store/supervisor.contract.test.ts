/**
 * The supervisor's desk on every backend (SQLite file and memory, PostgreSQL): the adherence
 * report's figures for a scripted set of calls with known outcomes, and the escalation records
 * with their change log.
 *
 * The calls run through the real call service and machine over the store, on a clock the test
 * sets (the service takes `now`); hold checks fire through the job rows, as the worker fires
 * them. Two operators and calls with none, three UTC days, every end reason (the idle ending,
 * `abandoned`, is committed as the idle job writes it: type call.idle, source timer), holds with
 * 0, 1, 2 and 3 checks, a hold the call ended during, one still running, calls just outside the
 * period. The expected figures are written out by hand below, from the script.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { CallEventType } from '../../machines/call.events.js';
import { createCallRuntime } from '../../machines/call.runtime.js';
import { CallService } from '../../src/calls/service.js';
import { EscalationService } from '../../src/escalations/service.js';
import { adherenceReport, callAdherence, reportSql } from '../../src/reports/adherence.js';
import type { AdherenceFigures, AdherenceReport } from '../../src/reports/schema.js';
import type { CallStore, EventChange } from '../../src/store/types.js';
import { beforeFirstTest } from '../support/hooks.js';
import { standaloneBackends } from './contract/backends.js';

const S = 1_000;
const D1 = Date.UTC(2026, 2, 2); // Monday 2 March 2026, 00:00 UTC
const D2 = D1 + 86_400 * S;
const D3 = D2 + 86_400 * S;
const D4 = D3 + 86_400 * S;
const at = (day: number, h: number, m = 0, s = 0) => day + ((h * 60 + m) * 60 + s) * S;

const backends = standaloneBackends('supervisor');

/** The service on a clock the test moves; hold checks fire from the store's job rows. */
class Desk {
  clock = 0;
  readonly calls: CallService;
  readonly escalations: EscalationService;

  constructor(readonly store: CallStore) {
    const now = () => this.clock;
    this.calls = new CallService(
      store,
      createCallRuntime({ maxRepeats: 3, maxConnectionAttempts: 3, holdCheckSeconds: 30 }),
      {
        cacheSize: 100,
        now,
      },
    );
    this.escalations = new EscalationService(store, { now });
    this.calls.contribute(({ change }) => this.escalations.contribute(change));
  }

  async start(callId: string, when: number, operatorId?: string) {
    this.clock = when;
    await this.calls.create({ callId, operatorId });
  }

  async send(callId: string, when: number, type: CallEventType, data?: Record<string, unknown>) {
    await this.fireDue(when);
    this.clock = when;
    return (await this.calls.applyEvent(callId, { type, data })).view;
  }

  /** Fires every hold check due by `until`, each at its own due time, as the job worker would. */
  async fireDue(until: number): Promise<number> {
    let fired = 0;
    for (;;) {
      const next = await this.store.nextTimerDue();
      if (next === null || next > until) return fired;
      this.clock = next;
      const due = await this.store.claimDueTimers(next, 10, 60_000);
      for (const job of due) if (await this.calls.fireTimer(job)) fired++;
    }
  }

  /** The idle ending (SPEC §10) as its job commits it: type call.idle, source timer, endReason abandoned. */
  async abandon(callId: string, when: number) {
    const record = await this.store.getCall(callId);
    if (!record) throw new Error(`no call ${callId}`);
    const context = record.snapshot.context as Record<string, unknown>;
    const snapshot = {
      ...record.snapshot,
      value: 'ended',
      status: 'done',
      context: { ...context, endReason: 'abandoned' },
    };
    const call = {
      ...record,
      status: 'ended' as const,
      version: record.version + 1,
      snapshot,
      prompts: [],
      actions: [],
      timers: [],
      updatedAt: when,
    };
    const change: EventChange = {
      kind: 'event',
      call,
      expectedVersion: record.version,
      history: {
        callId,
        seq: call.version,
        eventId: null,
        fingerprint: null,
        type: 'call.idle',
        data: {},
        source: 'timer',
        at: when,
        status: 'ended',
        snapshot,
        prompts: [],
        actions: [],
        timers: [],
      },
      armTimers: [],
      cancelTimers: record.timers.map((t) => t.timerId),
    };
    expect(await this.store.commit([change])).toEqual(['ok']);
  }
}

/** The script. Times are UTC; each comment says what the call contributes to the report. */
async function playScript(desk: Desk) {
  const d = desk;
  // Outside the period, just before its start and exactly at its end: counted nowhere.
  await d.start('x-before', D1 - 1, 'anna');
  await d.send('x-before', D1 + 10 * S, 'customer.profanity');
  await d.start('x-at-end', D4, 'boris');
  await d.send('x-at-end', D4 + S, 'customer.unknown-topic', { topic: 'вне периода' });

  // anna, day 1: a hold with 1 check (40 s), 3 repeats, then the repeat limit.
  await d.start('a1', at(D1, 9), 'anna');
  await d.send('a1', at(D1, 9, 0, 10), 'call.hold');
  await d.send('a1', at(D1, 9, 0, 50), 'call.unhold'); // check at 9:00:40
  await d.send('a1', at(D1, 9, 1), 'answer.given');
  for (let i = 1; i <= 3; i++) await d.send('a1', at(D1, 9, 1, i * 5), 'customer.repeat-request');
  expect((await d.send('a1', at(D1, 9, 2), 'customer.repeat-request')).endReason).toBe('repeat-limit');

  // anna, day 1: a warning, an escalation, a skipped phone, then profanity ends it.
  await d.start('a2', at(D1, 10), 'anna');
  await d.send('a2', at(D1, 10, 0, 5), 'customer.profanity');
  await d.send('a2', at(D1, 10, 0, 10), 'customer.unknown-topic', { topic: 'новая рассылка' });
  await d.send('a2', at(D1, 10, 0, 15), 'customer.contact-refused', { field: 'phone' });
  expect((await d.send('a2', at(D1, 10, 0, 20), 'customer.profanity')).endReason).toBe('profanity');

  // boris, day 1: a hold of 20 s with no check, then a hold the customer hangs up during: 70 s,
  // 2 checks. The customer's speech on hold gets the hold.check phrase too, but is no check fired:
  // it re-arms the check from then (13:01:10 + 30 s).
  await d.start('b1', at(D1, 13), 'boris');
  await d.send('b1', at(D1, 13, 0, 0), 'call.hold');
  await d.send('b1', at(D1, 13, 0, 20), 'call.unhold');
  await d.send('b1', at(D1, 13, 0, 30), 'call.hold');
  const spoken = await d.send('b1', at(D1, 13, 1, 10), 'customer.speech'); // after the check at 13:01:00
  expect(spoken.prompts.map((p) => p.key)).toEqual(['hold.check']);
  expect((await d.send('b1', at(D1, 13, 1, 40), 'call.hangup', { by: 'customer' })).endReason).toBe('hangup'); // check at 13:01:40 first

  // anna, day 2: a hold with 3 checks (95 s), then the closing: completed.
  await d.start('a3', at(D2, 11), 'anna');
  await d.send('a3', at(D2, 11, 0, 5), 'call.hold');
  await d.send('a3', at(D2, 11, 1, 40), 'call.unhold'); // checks at +35, +65, +95 s
  expect((await d.send('a3', at(D2, 11, 2), 'customer.prolonging')).endReason).toBe('completed');

  // anna, day 2: the customer cannot hear four times: connection lost.
  await d.start('a4', at(D2, 12), 'anna');
  for (let i = 1; i <= 3; i++) await d.send('a4', at(D2, 12, 0, i * 5), 'customer.cannot-hear');
  expect((await d.send('a4', at(D2, 12, 0, 20), 'customer.cannot-hear')).endReason).toBe('connection-lost');

  // boris, day 2: a skipped e-mail, then the mail-order offer declined.
  await d.start('b2', at(D2, 14), 'boris');
  await d.send('b2', at(D2, 14, 0, 5), 'customer.contact-refused', { field: 'email' });
  await d.send('b2', at(D2, 14, 0, 10), 'customer.non-citizen');
  expect((await d.send('b2', at(D2, 14, 0, 15), 'offer.declined')).endReason).toBe('offer-declined');

  // boris, day 3: a hold with 1 check, then the call is abandoned during it (50 s).
  await d.start('b4', at(D3, 16), 'boris');
  await d.send('b4', at(D3, 16), 'call.hold');
  await d.fireDue(at(D3, 16, 0, 45)); // check at 16:00:30
  await d.abandon('b4', at(D3, 16, 0, 50));

  // No operator, day 3 (late): one repeat, and the hangup after midnight still counts on day 3.
  await d.start('n1', at(D3, 23, 59, 50));
  await d.send('n1', at(D3, 23, 59, 55), 'answer.given');
  await d.send('n1', at(D3, 23, 59, 58), 'customer.repeat-request');
  await d.send('n1', D4 + 30 * S, 'call.hangup');

  // boris, day 3, played last (its hold never ends, and checks fire for every call due): two
  // escalations, then a hold still running when the report is read (1 check: 30 s so far).
  await d.start('b3', at(D3, 15), 'boris');
  await d.send('b3', at(D3, 15, 0, 5), 'customer.unknown-topic', { topic: 'новая реклама' });
  await d.send('b3', at(D3, 15, 0, 6), 'customer.unknown-topic', { topic: 'газета без карточки 10598' });
  await d.send('b3', at(D3, 15, 0, 10), 'call.hold');
  expect(await d.fireDue(at(D3, 15, 0, 55))).toBe(1); // the check at 15:00:40; the next is due 15:01:10
}

function figures(
  f: Partial<Omit<AdherenceFigures, 'ended'>> & { ended?: Partial<Record<string, number>> },
): AdherenceFigures {
  return {
    calls: 0,
    holds: 0,
    holdChecks: 0,
    longestHoldSeconds: 0,
    repeatAnswers: 0,
    repeatLimits: 0,
    connectionLost: 0,
    profanityWarnings: 0,
    profanityTerminations: 0,
    escalations: 0,
    skippedContacts: 0,
    ...f,
    ended: {
      completed: 0,
      'repeat-limit': 0,
      'connection-lost': 0,
      profanity: 0,
      'offer-declined': 0,
      hangup: 0,
      abandoned: 0,
      ...f.ended,
    } as Record<string, number>,
  };
}

// ---- the figures, by hand --------------------------------------------------------------------

const ANNA = figures({
  calls: 4, // a1 a2 a3 a4
  ended: { 'repeat-limit': 1, profanity: 1, completed: 1, 'connection-lost': 1 },
  holds: 2, // a1, a3
  holdChecks: 4, // a1: 1, a3: 3
  longestHoldSeconds: 95, // a3
  repeatAnswers: 3,
  repeatLimits: 1,
  connectionLost: 1,
  profanityWarnings: 1,
  profanityTerminations: 1,
  escalations: 1,
  skippedContacts: 1,
});
const BORIS = figures({
  calls: 4, // b1 b2 b3 b4 (b3 still active)
  ended: { hangup: 1, 'offer-declined': 1, abandoned: 1 },
  holds: 4, // b1: 2, b3, b4
  holdChecks: 4, // b1: 0 + 2, b3: 1, b4: 1
  longestHoldSeconds: 70, // b1's second hold, ended by the hangup (b4: 50, b3 so far: 30)
  escalations: 2,
  skippedContacts: 1,
});
const NOBODY = figures({ calls: 1, ended: { hangup: 1 }, repeatAnswers: 1 });

const DAY1 = figures({
  calls: 3, // a1 a2 b1
  ended: { 'repeat-limit': 1, profanity: 1, hangup: 1 },
  holds: 3,
  holdChecks: 3,
  longestHoldSeconds: 70,
  repeatAnswers: 3,
  repeatLimits: 1,
  profanityWarnings: 1,
  profanityTerminations: 1,
  escalations: 1,
  skippedContacts: 1,
});
const DAY2 = figures({
  calls: 3, // a3 a4 b2
  ended: { completed: 1, 'connection-lost': 1, 'offer-declined': 1 },
  holds: 1,
  holdChecks: 3,
  longestHoldSeconds: 95,
  connectionLost: 1,
  skippedContacts: 1,
});
const DAY3 = figures({
  calls: 3, // b3 b4 n1
  ended: { abandoned: 1, hangup: 1 },
  holds: 2,
  holdChecks: 2,
  longestHoldSeconds: 50,
  repeatAnswers: 1,
  escalations: 2,
});
const TOTALS = figures({
  calls: 9,
  ended: {
    completed: 1,
    'repeat-limit': 1,
    'connection-lost': 1,
    profanity: 1,
    'offer-declined': 1,
    hangup: 2,
    abandoned: 1,
  },
  holds: 6,
  holdChecks: 8,
  longestHoldSeconds: 95,
  repeatAnswers: 4,
  repeatLimits: 1,
  connectionLost: 1,
  profanityWarnings: 1,
  profanityTerminations: 1,
  escalations: 3,
  skippedContacts: 2,
});

const PERIOD = { from: D1, to: D4 };

for (const backend of backends) {
  describe(`supervisor's desk: ${backend.name}`, () => {
    let store: CallStore;
    let close: () => Promise<void>;
    let desk: Desk;
    beforeFirstTest(async () => {
      ({ store, close } = await backend.open());
      desk = new Desk(store);
      await playScript(desk);
    }, 60_000);
    afterAll(() => close?.());

    it('by operator: every figure as computed by hand, calls with no operator last', async () => {
      const report = await adherenceReport(store, PERIOD, 'operator');
      expect(report).toEqual({
        from: '2026-03-02T00:00:00.000Z',
        to: '2026-03-05T00:00:00.000Z',
        groupBy: 'operator',
        groups: [
          { key: 'anna', ...ANNA },
          { key: 'boris', ...BORIS },
          { key: null, ...NOBODY },
        ],
        totals: TOTALS,
      } satisfies AdherenceReport);
    });

    it('by UTC day: every figure as computed by hand, and the same totals', async () => {
      const report = await adherenceReport(store, PERIOD, 'day');
      expect(report.groups).toEqual([
        { key: '2026-03-02', ...DAY1 },
        { key: '2026-03-03', ...DAY2 },
        { key: '2026-03-04', ...DAY3 },
      ]);
      expect(report.totals).toEqual(TOTALS);
    });

    it('a narrower period counts only the calls started in it, and lists its days with no call as zeros', async () => {
      const report = await adherenceReport(store, { from: at(D1, 12), to: D3 + 86_400 * S * 2 }, 'day');
      // Day 1 from noon: b1 only; 5 March: x-at-end, which started at the first period's very end.
      expect(report.groups.map((g) => [g.key, g.calls])).toEqual([
        ['2026-03-02', 1],
        ['2026-03-03', 3],
        ['2026-03-04', 3],
        ['2026-03-05', 1],
      ]);
      expect(report.groups[0]).toMatchObject({ holds: 2, holdChecks: 2, longestHoldSeconds: 70 });
      expect(report.groups[3]).toMatchObject({
        escalations: 1,
        calls: 1,
        ended: expect.objectContaining({ hangup: 0 }),
      });
    });

    it("one call's figures are the report's for that call", async () => {
      expect(await callAdherence(store, 'a1')).toEqual(
        figures({
          calls: 1,
          ended: { 'repeat-limit': 1 },
          holds: 1,
          holdChecks: 1,
          longestHoldSeconds: 40,
          repeatAnswers: 3,
          repeatLimits: 1,
        }),
      );
      expect(await callAdherence(store, 'b1')).toEqual(
        figures({ calls: 1, ended: { hangup: 1 }, holds: 2, holdChecks: 2, longestHoldSeconds: 70 }),
      );
      expect(await callAdherence(store, 'b3')).toEqual(
        figures({ calls: 1, holds: 1, holdChecks: 1, longestHoldSeconds: 30, escalations: 2 }),
      );
      expect(await callAdherence(store, 'nobody')).toBeNull();
    });

    it('escalations were written with their changes: operator, topic, the event time, the action id', async () => {
      const { escalations } = await desk.escalations.list({ limit: 10 });
      expect(escalations.map((e) => [e.callId, e.operatorId, e.topic, e.createdAt, e.status])).toEqual([
        ['x-at-end', 'boris', 'вне периода', new Date(D4 + S).toISOString(), 'open'],
        ['b3', 'boris', 'газета без карточки 10598', new Date(at(D3, 15, 0, 6)).toISOString(), 'open'],
        ['b3', 'boris', 'новая реклама', new Date(at(D3, 15, 0, 5)).toISOString(), 'open'],
        ['a2', 'anna', 'новая рассылка', new Date(at(D1, 10, 0, 10)).toISOString(), 'open'],
      ]);
      const history = await store.history('a2');
      const raised = history.find((h) => h.type === 'customer.unknown-topic');
      expect(raised?.actions).toEqual([
        { type: 'supervisor.escalation', topic: 'новая рассылка', id: escalations[3]?.id },
      ]);
      // Created in the log in commit order.
      const log = await desk.escalations.changesAfter(0, 100);
      expect(log.map((c) => c.escalation.callId)).toEqual(['x-at-end', 'a2', 'b3', 'b3']);
      expect(log.map((c) => c.seq)).toEqual([...log.map((c) => c.seq)].sort((a, b) => a - b));
    });

    it('acknowledge and resolve: conditional, logged in order, and the log replays each state', async () => {
      const { escalations } = await desk.escalations.list({ callId: 'b3', limit: 10 });
      const [second, first] = escalations;
      const before = await desk.escalations.head();
      desk.clock = at(D3, 16);
      await desk.escalations.acknowledge(first!.id, 'sup.vera');
      desk.clock = at(D3, 16, 5);
      await desk.escalations.resolve(first!.id, 'sup.vera', 'Перезвонить через 2 дня');
      desk.clock = at(D3, 16, 6);
      // Resolved straight from open.
      const settled = await desk.escalations.resolve(second!.id, 'sup.gleb', 'Ответ дан');
      expect(settled).toMatchObject({ status: 'resolved', acknowledgedAt: null, resolvedBy: 'sup.gleb' });
      await expect(desk.escalations.acknowledge(first!.id, 'sup.x')).rejects.toMatchObject({
        statusCode: 409,
        currentStatus: 'resolved',
      });
      await expect(desk.escalations.resolve(second!.id, 'sup.x', 'again')).rejects.toMatchObject({ statusCode: 409 });
      await expect(desk.escalations.acknowledge('no-such-id', 'sup.x')).rejects.toMatchObject({ statusCode: 404 });

      const log = await desk.escalations.changesAfter(before, 100);
      expect(log.map((c) => [c.escalation.id, c.escalation.status])).toEqual([
        [first!.id, 'acknowledged'],
        [first!.id, 'resolved'],
        [second!.id, 'resolved'],
      ]);
      expect(log[0]?.escalation).toMatchObject({
        acknowledgedBy: 'sup.vera',
        acknowledgedAt: new Date(at(D3, 16)).toISOString(),
        resolvedAt: null,
        resolution: null,
      });
      expect(log[1]?.escalation).toMatchObject({
        acknowledgedBy: 'sup.vera',
        resolvedAt: new Date(at(D3, 16, 5)).toISOString(),
        resolution: 'Перезвонить через 2 дня',
      });
      expect(await desk.escalations.head()).toBe(log[2]?.seq);
      // By status, newest first, and paged with the cursor.
      expect((await desk.escalations.list({ status: 'resolved', limit: 10 })).escalations.map((e) => e.id)).toEqual([
        second!.id,
        first!.id,
      ]);
      const page1 = await desk.escalations.list({ limit: 3 });
      const page2 = await desk.escalations.list({ limit: 3, cursor: page1.nextCursor ?? undefined });
      expect(page1.nextCursor).not.toBeNull();
      expect(page2.nextCursor).toBeNull();
      expect([...page1.escalations, ...page2.escalations].map((e) => e.callId)).toEqual(['x-at-end', 'b3', 'b3', 'a2']);
    });

    if (backend.name.startsWith('sqlite')) {
      it("the report's history statement reads only the partial covering index", async () => {
        for (const groupBy of ['operator', 'day'] as const) {
          const { history } = reportSql('sqlite', groupBy);
          const plan = (await store.query(`EXPLAIN QUERY PLAN ${history}`, [D1, D4])).map((r) => String(r.detail));
          expect(plan.join(' | ')).toMatch(/SEARCH h USING COVERING INDEX history_adherence \(call_id=\?\)/);
          expect(plan.join(' | ')).toMatch(/SEARCH e USING COVERING INDEX history_adherence \(call_id=\? AND seq>\?\)/);
        }
      });
    }
  });
}
