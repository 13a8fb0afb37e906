/**
 * The idempotency keys a cached call has used, kept as 31-bit hashes in a small array of
 * integers. A Set of ten short keys costs about 700 bytes of heap per call; this costs about
 * 8 bytes a key, and a lookup hashes the key once and scans at most the cap the service keeps
 * (64). Two keys can share a hash: then `has` answers true for a key never used, never false
 * for one that was, and the service asks the store, which has the truth (ADR 7).
 */
export class EventKeys {
  private readonly hashes: number[] = [];

  static of(keys: Iterable<string>): EventKeys {
    const packed = new EventKeys();
    for (const key of keys) packed.add(key);
    return packed;
  }

  get size(): number {
    return this.hashes.length;
  }

  /** Adds a key the call has not used (the store's unique index guarantees that). */
  add(key: string): void {
    this.hashes.push(hashOf(key));
  }

  /** True for every key added; false means the key is certainly new. */
  has(key: string): boolean {
    return this.hashes.includes(hashOf(key));
  }
}

/** FNV-1a over UTF-16 code units, cut to 31 bits so V8 keeps it as a small integer. */
function hashOf(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return (hash >>> 1) & 0x3fffffff;
}
