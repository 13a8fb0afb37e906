/**
 * The recogniser's quality bar (issue 16), on the held-out part of the labelled set: the one
 * place where a figure is asserted, because it is a quality bar, not a timing. The set itself
 * is checked too: big enough, every situation of SPEC §12 in it, near-misses included.
 */
import { describe, expect, it } from 'vitest';
import { CATALOGUES } from '../../machines/catalogue.js';
import {
  allowedByContext,
  type Context,
  evaluate,
  heldoutParts,
  probeParts,
  readEvalSet,
} from '../../src/transcripts/evaluation.js';

const GOALS = { macroF1: 0.9, profanityPrecision: 0.97, profanityRecall: 0.9, falseSuggestionRate: 0.05 };

/** The situations SPEC §12 says a customer's words can show, and the speech on hold. */
const SECTION_12 = [
  'customer.profanity',
  'customer.location-question',
  'customer.repeat-request',
  'customer.cannot-hear',
  'customer.third-party',
  'customer.non-citizen',
  'customer.no-card',
  'customer.contact-refused',
  'customer.unknown-topic',
  'offer.accepted',
  'offer.declined',
  'customer.identified',
  'customer.speech',
];

const heldout = heldoutParts('ru').flatMap(readEvalSet);
const tune = readEvalSet(new URL('../../eval/transcripts/ru.tune.jsonl', import.meta.url).pathname);
const all = [...heldout, ...tune];
const probes = probeParts('ru').map((path) => ({ path, lines: readEvalSet(path) }));

describe('the labelled set', () => {
  it('has at least 400 lines, at least 60 that must give nothing, and a held-out part of at least 30 %', () => {
    expect(all.length).toBeGreaterThanOrEqual(400);
    expect(all.filter((line) => line.expect.length === 0).length).toBeGreaterThanOrEqual(60);
    expect(heldout.length / all.length).toBeGreaterThanOrEqual(0.3);
  });

  it('holds every situation of SPEC §12, in the held-out part too', () => {
    for (const type of SECTION_12) {
      expect(
        all.some((line) => line.expect.some((e) => e.type === type)),
        type,
      ).toBe(true);
      expect(
        heldout.some((line) => line.expect.some((e) => e.type === type)),
        `held-out ${type}`,
      ).toBe(true);
    }
  });

  it('labels only events that are allowed where each line is said (else no suggestion could match)', () => {
    const allowed = allowedByContext();
    for (const line of all) {
      for (const e of line.expect)
        expect(allowed[(line.context ?? 'conversation') as Context], line.text).toContain(e.type);
    }
  });

  it('the held-out and the tuning parts share no line', () => {
    const tuned = new Set(tune.map((line) => line.text));
    expect(heldout.filter((line) => tuned.has(line.text))).toEqual([]);
  });
});

describe('the probe parts (lines by another hand, reported by eval:transcripts, not asserted)', () => {
  it('exist, and share no line with the tuning or held-out parts or with each other', () => {
    expect(probes.length).toBeGreaterThan(0);
    const seen = new Set(all.map((line) => line.text));
    for (const { path, lines } of probes) {
      expect(
        lines.filter((line) => seen.has(line.text)).map((line) => line.text),
        path,
      ).toEqual([]);
      for (const line of lines) seen.add(line.text);
    }
  });

  it('label only events allowed where each line is said', () => {
    const allowed = allowedByContext();
    for (const { lines } of probes)
      for (const line of lines)
        for (const e of line.expect)
          expect(allowed[(line.context ?? 'conversation') as Context], line.text).toContain(e.type);
  });
});

describe('quality on the held-out part', () => {
  const report = evaluate(heldout, CATALOGUES.ru.lexicon, 'ru');
  const profanity = report.events.find((e) => e.type === 'customer.profanity')!;

  it(`macro-F1 is at least ${GOALS.macroF1}`, () => {
    expect(report.macroF1).toBeGreaterThanOrEqual(GOALS.macroF1);
  });

  it(`profanity: precision at least ${GOALS.profanityPrecision}, recall at least ${GOALS.profanityRecall}`, () => {
    expect(profanity.support).toBeGreaterThan(0);
    expect(profanity.precision).toBeGreaterThanOrEqual(GOALS.profanityPrecision);
    expect(profanity.recall).toBeGreaterThanOrEqual(GOALS.profanityRecall);
  });

  it(`lines that must give no suggestion give one at most ${100 * GOALS.falseSuggestionRate} % of the time`, () => {
    expect(report.noSuggestionLines).toBeGreaterThan(0);
    expect(report.falseSuggestionRate).toBeLessThanOrEqual(GOALS.falseSuggestionRate);
  });

  it('the data of a right suggestion is right (field, name, topic) at least 90 % of the time', () => {
    expect(report.data.checked).toBeGreaterThan(0);
    expect(report.data.accuracy).toBeGreaterThanOrEqual(0.9);
  });
});
