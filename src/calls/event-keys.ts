/**
 * The idempotency keys a cached call has used, packed into one string as `<length>:<key>`
 * entries. A Set of ten short keys costs about 700 bytes of heap per call; this costs the
 * keys' characters and a few bytes more (measured in ADR 7). Lookups scan the entries, which
 * is cheap at the cap the service keeps (64 keys), and the length prefix lets a key hold any
 * character, the separator included.
 */
export class EventKeys {
  private packed = '';
  private count = 0;

  static of(keys: Iterable<string>): EventKeys {
    const packed = new EventKeys();
    for (const key of keys) packed.add(key);
    return packed;
  }

  get size(): number {
    return this.count;
  }

  add(key: string): void {
    if (this.has(key)) return;
    this.packed += `${key.length}:${key}`;
    this.count++;
  }

  has(key: string): boolean {
    const packed = this.packed;
    let at = 0;
    while (at < packed.length) {
      let length = 0;
      let code = packed.charCodeAt(at);
      while (code !== 58 /* ':' */) {
        length = length * 10 + (code - 48);
        code = packed.charCodeAt(++at);
      }
      const start = at + 1;
      if (length === key.length && packed.startsWith(key, start)) return true;
      at = start + length;
    }
    return false;
  }
}
