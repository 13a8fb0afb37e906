/**
 * Standard Webhooks signatures (standard-webhooks/standard-webhooks, spec/standard-webhooks.md):
 * `v1,` + base64 HMAC-SHA256 of `id.timestamp.body` under the secret's bytes (the base64 after
 * `whsec_`). Receivers verify it with any Standard Webhooks library (the tests use the reference
 * `standardwebhooks` package).
 */
import { createHmac, randomBytes } from 'node:crypto';

const PREFIX = 'whsec_';

/** A new signing secret: `whsec_` + base64 of 24 random bytes (SPEC §7). */
export function newSecret(): string {
  return PREFIX + randomBytes(24).toString('base64');
}

export function secretBytes(secret: string): Buffer {
  return Buffer.from(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret, 'base64');
}

/** The three headers of one attempt; `timestamp` is Unix seconds of the attempt. */
export function signedHeaders(key: Buffer, id: string, timestamp: number, body: string): Record<string, string> {
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': `v1,${signature}`,
  };
}
