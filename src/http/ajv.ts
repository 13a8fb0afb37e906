/**
 * Validators. Bodies: strict (no coercion, unknown fields refused, every error reported).
 * Query strings are text, so there numbers are coerced.
 */
import { Ajv } from 'ajv';

const options = { allErrors: true, removeAdditional: false, useDefaults: true, strict: false } as const;
export const bodyAjv = new Ajv({ ...options, coerceTypes: false });
export const queryAjv = new Ajv({ ...options, coerceTypes: true });
for (const ajv of [bodyAjv, queryAjv]) ajv.addFormat('date-time', true);
