/** Validators for PBX payloads, with reasons that name fields and rules but never values. */

import { createHash } from 'node:crypto';
import type { TSchema } from '@sinclair/typebox';
import type { CustomerName } from '../../machines/call.events.js';
import type { Locale } from '../../machines/catalogue.js';
import { bodyAjv } from '../http/ajv.js';
import { describeValidation } from '../http/problem.js';
import { CALL_ID_PATTERN, Customer } from '../http/schemas.js';

export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };

/** A validator for `schema` whose failure reason lists each field and what is wrong with it. */
export function validator<T>(schema: TSchema, context: string): (value: unknown) => Checked<T> {
  const validate = bodyAjv.compile(schema);
  return (value) => {
    if (validate(value)) return { ok: true, value: value as T };
    const errors = describeValidation(context, validate.errors ?? []);
    return { ok: false, reason: errors.map((e) => `${e.field} ${e.message}`).join('; ') };
  };
}

const callIdPattern = new RegExp(CALL_ID_PATTERN);
/** Channel ids that cannot be a callId (SPEC §3) are no call of ours. */
export const isCallId = (id: string | undefined): id is string => id !== undefined && callIdPattern.test(id);

const checkCustomer = validator<CustomerName>(Customer, 'customer');

/**
 * The customer's name from the CALLFLOW_* channel variables. An empty variable is an unset one;
 * a name the API would refuse (too long, control characters) is dropped, the call still starts.
 */
export function customerFrom(
  firstName: string | undefined,
  patronymic: string | undefined,
  onDropped: (reason: string) => void,
): CustomerName | undefined {
  if (!firstName) return undefined;
  const customer: CustomerName = patronymic ? { firstName, patronymic } : { firstName };
  const checked = checkCustomer(customer);
  if (checked.ok) return customer;
  onDropped(checked.reason);
  return undefined;
}

/** CALLFLOW_OPERATOR, with the characters of a callId (SPEC §8); anything else is dropped. */
export function operatorFrom(value: string | undefined, onDropped: (reason: string) => void): string | undefined {
  if (!value) return undefined;
  if (isCallId(value)) return value;
  onDropped('CALLFLOW_OPERATOR must be 1 to 128 letters, digits, ".", "_", ":" or "-"');
  return undefined;
}

/** `ru`, `en`, or their regional forms (`ru_RU`, `en-US`); anything else: the service's default. */
export function localeFrom(language: string | undefined): Locale | undefined {
  const match = /^(ru|en)(?:[_-]|$)/i.exec(language ?? '');
  return match ? (match[1]!.toLowerCase() as Locale) : undefined;
}

/** Event ids are at most 200 characters (the API's rule): a longer one is replaced by its hash. */
export function eventKey(parts: string[]): string {
  const key = parts.join(':');
  return key.length <= 200 ? key : `${parts[0]}:sha256:${createHash('sha256').update(key).digest('hex')}`;
}
