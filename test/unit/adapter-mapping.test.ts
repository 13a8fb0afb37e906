/**
 * The SPEC §9 tables as pure functions (src/adapters/freeswitch/mapping.ts, asterisk/mapping.ts),
 * on events built by the fakes from the upstream models: which event becomes which action, on
 * which call, with which idempotency key; and what is no call of ours.
 */
import { describe, expect, it } from 'vitest';
import { BridgeTracker } from '../../src/adapters/asterisk/bridges.js';
import { mapAriEvent } from '../../src/adapters/asterisk/mapping.js';
import { parseAriEvent } from '../../src/adapters/asterisk/model.js';
import { mapFsEvent } from '../../src/adapters/freeswitch/mapping.js';
import { parseFsEvent } from '../../src/adapters/freeswitch/model.js';
import type { Mapped } from '../../src/adapters/types.js';
import { eventKey } from '../../src/adapters/validate.js';
import { ariTimestamp } from '../support/fake-ari.js';
import { FsEventBuilder, type FsHeaders } from '../support/fake-freeswitch.js';

const fs = new FsEventBuilder();

function mapFs(headers: FsHeaders, dropped: string[] = []): Mapped {
  const parsed = parseFsEvent(headers);
  if (!parsed.ok) throw new Error(parsed.reason);
  return mapFsEvent(parsed.event, { onNameDropped: (reason) => dropped.push(reason) });
}

describe('FreeSWITCH', () => {
  it('CHANNEL_ANSWER of an inbound leg creates the call from its variables; of the outbound leg, nothing', () => {
    const customer = fs.inboundLeg({
      variables: {
        CALLFLOW_FIRST_NAME: 'Иван',
        CALLFLOW_PATRONYMIC: 'Петрович',
        CALLFLOW_OPERATOR: 'op-7',
        default_language: 'en_US',
      },
    });
    expect(mapFs(fs.answer(customer))).toEqual({
      type: 'CHANNEL_ANSWER',
      action: {
        kind: 'create',
        call: {
          callId: customer.uuid,
          customer: { firstName: 'Иван', patronymic: 'Петрович' },
          locale: 'en',
          operatorId: 'op-7',
        },
      },
    });
    expect(mapFs(fs.answer(fs.operatorLeg(customer)))).toEqual({
      type: 'CHANNEL_ANSWER',
      action: null,
      outcome: 'not_a_call',
    });
  });

  it('empty variables are unset ones; a name or operator the API refuses is dropped, with a reason that does not quote it', () => {
    const customer = fs.inboundLeg({
      variables: { CALLFLOW_FIRST_NAME: 'Я'.repeat(101), CALLFLOW_PATRONYMIC: '', CALLFLOW_OPERATOR: 'оп 7' },
    });
    const dropped: string[] = [];
    const mapped = mapFs(fs.answer(customer), dropped);
    expect(mapped.action).toEqual({ kind: 'create', call: { callId: customer.uuid } });
    expect(dropped).toHaveLength(2);
    expect(dropped.join(' ')).not.toMatch(/Я|оп 7/);
  });

  it('a hold on the operator leg names the customer leg among its candidates, by Other-Leg-Unique-ID or by bridge_uuid', () => {
    const customer = fs.inboundLeg();
    const operator = fs.operatorLeg(customer);
    const hold = fs.hold(operator);
    const mapped = mapFs(hold);
    expect(mapped.action).toEqual({
      kind: 'event',
      candidates: [operator.uuid, customer.uuid],
      event: { type: 'call.hold', id: `fs:${operator.uuid}:CHANNEL_HOLD:${hold['Event-Date-Timestamp']}` },
    });
    // Without the Other-Leg-* headers (a leg not bridged by its originator), the variable says it.
    const bare = Object.fromEntries(Object.entries(fs.unhold(operator)).filter(([k]) => !k.startsWith('Other-Leg-')));
    expect(bare.variable_bridge_uuid).toBe(customer.uuid);
    const unhold = mapFs(bare);
    expect(unhold.action?.kind === 'event' && unhold.action.candidates).toEqual([operator.uuid, customer.uuid]);
    expect(unhold.action?.kind === 'event' && unhold.action.event.type).toBe('call.unhold');
  });

  it('CHANNEL_HANGUP_COMPLETE: NORMAL_CLEARING is the customer, any other cause the network', () => {
    for (const [cause, by] of [
      ['NORMAL_CLEARING', 'customer'],
      ['ORIGINATOR_CANCEL', 'network'],
      ['MEDIA_TIMEOUT', 'network'],
    ]) {
      const leg = fs.inboundLeg();
      const mapped = mapFs(fs.hangupComplete(leg, cause));
      expect(mapped.action).toMatchObject({
        kind: 'event',
        candidates: [leg.uuid],
        event: { type: 'call.hangup', data: { by } },
      });
    }
  });

  it('the same event twice has one key; the next event of the same leg and type another', () => {
    const leg = fs.inboundLeg();
    const first = fs.hold(leg);
    const second = fs.hold(leg);
    const key = (m: Mapped) => (m.action?.kind === 'event' ? m.action.event.id : null);
    expect(key(mapFs(first))).toBe(key(mapFs({ ...first })));
    expect(key(mapFs(first))).not.toBe(key(mapFs(second)));
  });

  it('a known event that means nothing here, and one FreeSWITCH does not have', () => {
    const leg = fs.inboundLeg();
    expect(mapFs(fs.channelEvent('CHANNEL_CREATE', leg))).toEqual({
      type: 'CHANNEL_CREATE',
      action: null,
      outcome: 'unmapped',
    });
    expect(mapFs({ 'Event-Name': 'CHANNEL_TELEPORT', 'Unique-ID': leg.uuid })).toEqual({
      type: 'other',
      action: null,
      outcome: 'unknown_type',
    });
  });

  it('every value is a string (or a list of them): a number, a nested object or a missing key is malformed', () => {
    const hold = fs.hold(fs.inboundLeg());
    expect(parseFsEvent(hold).ok).toBe(true);
    expect(parseFsEvent({ ...hold, 'Event-Sequence': 4712 }).ok).toBe(false);
    expect(parseFsEvent({ ...hold, variable_x: { a: '1' } }).ok).toBe(false);
    expect(parseFsEvent({ ...hold, 'Event-Date-Timestamp': 'yesterday' }).ok).toBe(false);
    const { 'Unique-ID': _id, ...noLeg } = hold;
    const parsed = parseFsEvent(noLeg);
    expect(parsed.ok === false && parsed.reason).toContain('Unique-ID');
  });
});

describe('Asterisk', () => {
  const channel = (id: string, channelvars?: Record<string, string>) => ({
    id,
    name: `PJSIP/trunk-${id}`,
    state: 'Up',
    language: 'ru',
    ...(channelvars && { channelvars }),
  });
  const at = ariTimestamp(Date.parse('2026-12-02T10:00:00.000Z'));
  const event = (type: string, fields: Record<string, unknown>) => {
    const parsed = parseAriEvent({ type, application: 'callflow', timestamp: at, ...fields });
    if (!parsed.ok) throw new Error(parsed.reason);
    return parsed.event;
  };
  const noop = { onNameDropped: () => {} };

  it('StasisStart of a call creates it; with the operator argument it is a leg', () => {
    const bridges = new BridgeTracker();
    const start = mapAriEvent(
      event('StasisStart', {
        args: [],
        channel: channel('1.1', { CALLFLOW_FIRST_NAME: 'Анна', CALLFLOW_OPERATOR: 'op-2' }),
      }),
      bridges,
      noop,
    );
    expect(start.action).toEqual({
      kind: 'create',
      call: { callId: '1.1', customer: { firstName: 'Анна' }, locale: 'ru', operatorId: 'op-2' },
    });
    const leg = mapAriEvent(event('StasisStart', { args: ['operator'], channel: channel('1.2') }), bridges, noop);
    expect(leg).toEqual({ type: 'StasisStart', action: null, outcome: 'not_a_call' });
  });

  it('a hold on the operator leg reaches the call it is bridged with, and no longer once the leg has left the bridge', () => {
    const bridges = new BridgeTracker();
    const bridge = { id: 'b1', channels: ['1.1', '1.2'] };
    mapAriEvent(event('ChannelEnteredBridge', { bridge, channel: channel('1.2') }), bridges, noop);
    const hold = mapAriEvent(event('ChannelHold', { channel: channel('1.2') }), bridges, noop);
    expect(hold.action).toEqual({
      kind: 'event',
      candidates: ['1.2', '1.1'],
      event: { type: 'call.hold', id: eventKey(['ari', '1.2', 'ChannelHold', at]) },
    });
    mapAriEvent(
      event('ChannelLeftBridge', { bridge: { id: 'b1', channels: ['1.1'] }, channel: channel('1.2') }),
      bridges,
      noop,
    );
    const later = mapAriEvent(event('ChannelUnhold', { channel: channel('1.2') }), bridges, noop);
    expect(later.action?.kind === 'event' && later.action.candidates).toEqual(['1.2']);
  });

  it('hangups: cause 16 is the customer, except on a soft hangup request (its cause is a softhangup flag)', () => {
    const bridges = new BridgeTracker();
    const by = (m: Mapped) => (m.action?.kind === 'event' ? m.action.event.data : null);
    expect(
      by(mapAriEvent(event('ChannelHangupRequest', { channel: channel('1.1'), cause: 16 }), bridges, noop)),
    ).toEqual({
      by: 'customer',
    });
    expect(
      by(mapAriEvent(event('ChannelHangupRequest', { channel: channel('1.1'), cause: 16, soft: true }), bridges, noop)),
    ).toEqual({ by: 'network' });
    expect(by(mapAriEvent(event('ChannelDestroyed', { channel: channel('1.1'), cause: 16 }), bridges, noop))).toEqual({
      by: 'customer',
    });
    expect(by(mapAriEvent(event('ChannelDestroyed', { channel: channel('1.1'), cause: 17 }), bridges, noop))).toEqual({
      by: 'network',
    });
    expect(by(mapAriEvent(event('StasisEnd', { channel: channel('1.1') }), bridges, noop))).toEqual({ by: 'network' });
  });

  it('a channel id that cannot be a callId is no call of ours', () => {
    const mapped = mapAriEvent(event('ChannelHold', { channel: channel('not a call id') }), new BridgeTracker(), noop);
    expect(mapped.action?.kind === 'event' && mapped.action.candidates).toEqual([]);
  });

  it('keys over 200 characters are replaced by their hash, still one per event', () => {
    const id = 'x'.repeat(300); // a raising channel's id may be long; the key must stay within the API's 200
    const long = eventKey(['ari', id, 'ChannelHold', at]);
    expect(long).toMatch(/^ari:sha256:[0-9a-f]{64}$/);
    expect(eventKey(['ari', id, 'ChannelHold', at])).toBe(long);
    expect(eventKey(['ari', id, 'ChannelUnhold', at])).not.toBe(long);
  });
});
