/**
 * Canonical JSON (object keys sorted, otherwise as JSON.stringify writes it): two bodies that
 * mean the same thing compare equal. Bodies are parsed JSON, so there are no functions, no
 * `toJSON` and no cycles; `undefined` is dropped from objects and is `null` in arrays, as
 * JSON.stringify does. Written out by hand: this runs on every event with an id.
 */
export function fingerprint(value: unknown): string {
  return canonical(value) ?? 'null';
}

function canonical(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += `${i === 0 ? '' : ','}${canonical(value[i]) ?? 'null'}`;
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = orderedKeys(record);
  let out = '{';
  let first = true;
  for (const key of keys) {
    const item = canonical(record[key]);
    if (item === undefined) continue;
    out += `${first ? '' : ','}${JSON.stringify(key)}:${item}`;
    first = false;
  }
  return `${out}}`;
}

/**
 * Keys sorted, except that array-index keys ("0", "17") come first in numeric order: the
 * order of an object rebuilt from sorted entries, which is how fingerprints were first
 * defined and stored (a stored fingerprint must keep matching). Object.keys already lists
 * index keys first, in that order.
 */
function orderedKeys(record: Record<string, unknown>): string[] {
  const keys = Object.keys(record);
  let indexKeys = 0;
  while (indexKeys < keys.length && isArrayIndex(keys[indexKeys] as string)) indexKeys++;
  if (indexKeys === 0) return keys.sort();
  return keys.slice(0, indexKeys).concat(keys.slice(indexKeys).sort());
}

const isArrayIndex = (key: string) => /^(?:0|[1-9]\d{0,9})$/.test(key) && Number(key) < 4294967295;
