/**
 * The event socket framing (src/adapters/freeswitch/frames.ts) against what FreeSWITCH writes
 * (test/support/fake-freeswitch.ts builds the frames): any cut of the byte stream, frames merged,
 * and wrong frames, each of which must cost that frame only (docs/adr/0008-own-event-socket-protocol.md).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EslFrameParser } from '../../src/adapters/freeswitch/frames.js';
import { FakeFreeswitch, FsEventBuilder } from '../support/fake-freeswitch.js';

function collect() {
  const events: Record<string, unknown>[] = [];
  const others: Record<string, string>[] = [];
  const malformed: string[] = [];
  const parser = new EslFrameParser({
    frame: (frame) => (frame.json ? events.push(frame.json) : others.push(frame.headers)),
    malformed: (reason) => malformed.push(reason),
  });
  return { parser, events, others, malformed };
}

const fs = new FsEventBuilder();

/** Events as FreeSWITCH sends them, with a customer's name in Cyrillic (two bytes a letter). */
function sampleEvents(n: number) {
  const customer = fs.inboundLeg({ variables: { CALLFLOW_FIRST_NAME: 'Иван', CALLFLOW_PATRONYMIC: 'Петрович' } });
  const operator = fs.operatorLeg(customer);
  const all = [fs.answer(customer), fs.hold(operator), fs.unhold(operator)];
  while (all.length < n) all.push(all.length % 2 ? fs.hold(operator) : fs.unhold(operator));
  return all.slice(0, n);
}

function feed(parser: EslFrameParser, bytes: Buffer, cuts: number[]) {
  let at = 0;
  for (const cut of [...new Set(cuts)].filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b)) {
    parser.push(bytes.subarray(at, cut));
    at = cut;
  }
  parser.push(bytes.subarray(at));
}

const cutsOf = (length: number) => fc.array(fc.integer({ min: 1, max: Math.max(1, length - 1) }), { maxLength: 40 });

describe('framing', () => {
  const events = sampleEvents(3);
  const greeting = Buffer.from('Content-Type: auth/request\n\n');
  const reply = Buffer.from('Content-Type: command/reply\nReply-Text: +OK accepted\n\n');
  const stream = Buffer.concat([greeting, reply, ...events.map((e) => FakeFreeswitch.frame(e))]);

  it('merged into one chunk: every frame, bodies counted in bytes', () => {
    const { parser, events: got, others, malformed } = collect();
    parser.push(stream);
    expect(others).toEqual([
      { 'Content-Type': 'auth/request' },
      { 'Content-Type': 'command/reply', 'Reply-Text': '+OK accepted' },
    ]);
    expect(got).toEqual(events);
    expect(got[0]?.variable_CALLFLOW_FIRST_NAME).toBe('Иван');
    expect(malformed).toEqual([]);
    expect(parser.pending).toBe(0);
  });

  it('one byte at a time', () => {
    const { parser, events: got, malformed } = collect();
    for (const byte of stream) parser.push(Buffer.from([byte]));
    expect(got).toEqual(events);
    expect(malformed).toEqual([]);
  });

  it('cut anywhere: the same frames', () => {
    fc.assert(
      fc.property(cutsOf(stream.length), (cuts) => {
        const { parser, events: got, others, malformed } = collect();
        feed(parser, stream, cuts);
        expect(got).toEqual(events);
        expect(others).toHaveLength(2);
        expect(malformed).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});

describe('a wrong frame costs that frame only', () => {
  const events = sampleEvents(21);
  const frames = events.map((e) => FakeFreeswitch.frame(e));

  it('a Content-Length too short or too long by any amount, cut anywhere: one skipped, twenty parsed', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: -400, max: 400 }).filter((d) => d !== 0),
        fc.integer({ min: 0, max: 2 ** 31 }),
        (bad, delta, seed) => {
          const wrong = [...frames];
          wrong[bad] = FakeFreeswitch.frame(events[bad]!, delta);
          const bytes = Buffer.concat(wrong);
          const cuts = Array.from({ length: seed % 30 }, (_, i) => ((seed >> (i % 16)) * (i + 7)) % bytes.length);
          const { parser, events: got, malformed } = collect();
          feed(parser, bytes, cuts);
          expect(malformed).toHaveLength(1);
          expect(got).toEqual(events.filter((_, i) => i !== bad));
        },
      ),
      { numRuns: 300 },
    );
  });

  it.each([
    ['a body that is no JSON', 'oops'],
    ['a JSON array', '[1,2]'],
    ['JSON broken inside', '{"Event-Name": CHANNEL_HOLD}'],
    ['an object cut short by its author', '{"Event-Name":"CHANNEL_HOLD","Unique-ID":"x"'],
  ])('%s (its length right): skipped, the frames around it parsed', (_name, body) => {
    const bad = Buffer.concat([
      Buffer.from(`Content-Length: ${Buffer.byteLength(body)}\nContent-Type: text/event-json\n\n`),
      Buffer.from(body),
    ]);
    const bytes = Buffer.concat([frames[0]!, bad, frames[1]!, frames[2]!]);
    for (const chunk of [bytes.length, 1, 7]) {
      const { parser, events: got, malformed } = collect();
      for (let i = 0; i < bytes.length; i += chunk) parser.push(bytes.subarray(i, i + chunk));
      expect(malformed, `chunk ${chunk}`).toHaveLength(1);
      expect(got).toEqual(events.slice(0, 3));
    }
  });

  it('bytes between frames, and a Content-Length that is no number: one skip each', () => {
    const bytes = Buffer.concat([
      frames[0]!,
      Buffer.from('garbage that is no frame\n\n'),
      frames[1]!,
      Buffer.from('Content-Length: many\nContent-Type: text/event-json\n\n'),
      frames[2]!,
    ]);
    const { parser, events: got, malformed } = collect();
    parser.push(bytes);
    expect(malformed).toHaveLength(2);
    expect(got).toEqual(events.slice(0, 3));
  });

  it('a disconnect notice with an empty body is a frame', () => {
    const { parser, others } = collect();
    parser.push(Buffer.from('Content-Type: text/disconnect-notice\nContent-Length: 0\n\n'));
    expect(others).toEqual([{ 'Content-Type': 'text/disconnect-notice', 'Content-Length': '0' }]);
  });
});
