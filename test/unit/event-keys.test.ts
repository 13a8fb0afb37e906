/** The packed idempotency keys of a cached call (src/calls/event-keys.ts). */
import { describe, expect, it } from 'vitest';
import { EventKeys } from '../../src/calls/event-keys.js';

describe('EventKeys', () => {
  it('has exactly the keys added, whatever characters they hold', () => {
    const tricky = ['a', '1:a', '12:', ':', '', 'ключ-1', 'a'.repeat(150), 'x:y:z', '0'];
    const keys = EventKeys.of(tricky);
    for (const key of tricky) expect(keys.has(key), key).toBe(true);
    for (const absent of ['b', '1', ':a', 'a'.repeat(149), 'a'.repeat(151), 'ключ', 'x:y', '00', '2:a'])
      expect(keys.has(absent), absent).toBe(false);
    expect(keys.size).toBe(tricky.length);
  });

  it('two keys of one hash: the new one reads as used (the store then decides), the used one never as new', () => {
    // Distinct keys whose 30-bit hashes collide, found by search: a false "used" is allowed.
    const seen = new Map<number, string>();
    const keys = new EventKeys();
    let pair: [string, string] | undefined;
    for (let i = 0; !pair && i < 200_000; i++) {
      const probe = new EventKeys();
      probe.add(`k${i}`);
      const hash = (probe as unknown as { hashes: number[] }).hashes[0] as number;
      const other = seen.get(hash);
      if (other) pair = [other, `k${i}`];
      else seen.set(hash, `k${i}`);
    }
    expect(pair).toBeDefined();
    const [used, fresh] = pair as [string, string];
    keys.add(used);
    expect(keys.has(used)).toBe(true);
    expect(keys.has(fresh)).toBe(true);
  });

  it('agrees with a Set on random keys', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    const alphabet = 'ab:1234567890я';
    const key = () => Array.from({ length: random() % 6 }, () => alphabet[random() % alphabet.length]).join('');
    const packed = new EventKeys();
    const reference = new Set<string>();
    for (let i = 0; i < 64; i++) {
      const k = key();
      if (reference.has(k)) continue; // the service adds only new keys
      packed.add(k);
      reference.add(k);
    }
    for (let i = 0; i < 500; i++) {
      const k = key();
      expect(packed.has(k), k).toBe(reference.has(k));
    }
    expect(packed.size).toBe(reference.size);
  });
});
