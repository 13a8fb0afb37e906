import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fingerprint } from '../../src/calls/fingerprint.js';

/** The definition: JSON.stringify with every object's keys sorted. */
function reference(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v as object)
            .sort()
            .map((k) => [k, (v as Record<string, unknown>)[k]]),
        )
      : v,
  );
}

describe('fingerprint', () => {
  it('is JSON.stringify with sorted keys, for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(fingerprint(value)).toBe(reference(value));
      }),
      { numRuns: 2000 },
    );
  });

  it('ignores key order and drops undefined like JSON.stringify', () => {
    expect(fingerprint({ b: 1, a: { d: [1, undefined], c: 'й' }, u: undefined })).toBe(
      '{"a":{"c":"й","d":[1,null]},"b":1}',
    );
    expect(fingerprint({ type: 'x', data: {} })).toBe(fingerprint({ data: {}, type: 'x' }));
    expect(fingerprint(undefined)).toBe('null');
    // Index-like keys first, in numeric order, as in the first definition (stored fingerprints).
    const keys = { b: 1, '10': 2, '': 3, '2': 4, '4294967295': 5, a: 6 };
    expect(fingerprint(keys)).toBe(reference(keys));
  });
});
