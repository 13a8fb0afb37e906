/** The bounded cache of decoded calls (src/calls/lru.ts): recency order, eviction, capacity. */
import { describe, expect, it } from 'vitest';
import { Lru } from '../../src/calls/lru.js';

function filled(capacity: number, ...keys: string[]): Lru<string, number> {
  const lru = new Lru<string, number>(capacity);
  for (const [i, key] of keys.entries()) lru.set(key, i);
  return lru;
}

describe('Lru', () => {
  it('gives back what was set, and undefined for what was not', () => {
    const lru = filled(3, 'a', 'b');
    expect(lru.get('a')).toBe(0);
    expect(lru.get('b')).toBe(1);
    expect(lru.get('c')).toBeUndefined();
    expect(lru.size).toBe(2);
  });

  it('drops the least recently set entry once over capacity, and only that one', () => {
    const lru = filled(3, 'a', 'b', 'c', 'd');
    expect(lru.size).toBe(3);
    expect(lru.peek('a')).toBeUndefined();
    expect([lru.peek('b'), lru.peek('c'), lru.peek('d')]).toEqual([1, 2, 3]);
  });

  it('counts a get as a use: the entry read last is kept, the one not read is dropped', () => {
    const lru = filled(3, 'a', 'b', 'c');
    expect(lru.get('a')).toBe(0);
    lru.set('d', 3);
    expect(lru.peek('a')).toBe(0);
    expect(lru.peek('b')).toBeUndefined();
  });

  it('does not count a peek as a use', () => {
    const lru = filled(3, 'a', 'b', 'c');
    expect(lru.peek('a')).toBe(0);
    lru.set('d', 3);
    expect(lru.peek('a')).toBeUndefined();
    expect(lru.peek('b')).toBe(1);
  });

  it('replaces the value of a key set again, without growing, and counts it as a use', () => {
    const lru = filled(3, 'a', 'b', 'c');
    lru.set('a', 10);
    expect(lru.size).toBe(3);
    lru.set('d', 3);
    expect(lru.peek('a')).toBe(10);
    expect(lru.peek('b')).toBeUndefined();
  });

  it('forgets a deleted key, and deleting a missing one changes nothing', () => {
    const lru = filled(3, 'a', 'b');
    lru.delete('a');
    lru.delete('nope');
    expect(lru.get('a')).toBeUndefined();
    expect(lru.size).toBe(1);
    expect(lru.get('b')).toBe(1);
  });

  it('keeps nothing with a capacity of 0 (CALL_CACHE_SIZE=0)', () => {
    const lru = filled(0, 'a', 'b');
    expect(lru.size).toBe(0);
    expect(lru.get('a')).toBeUndefined();
  });

  it('keeps a falsy value as a value', () => {
    const lru = new Lru<string, number | string>(2);
    lru.set('zero', 0);
    lru.set('empty', '');
    expect(lru.get('zero')).toBe(0);
    expect(lru.get('empty')).toBe('');
  });
});
