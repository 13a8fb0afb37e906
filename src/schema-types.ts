/** Schema building blocks shared by the HTTP schemas and the call view's schema. */
import { Type } from '@sinclair/typebox';

/** A string enum as one `enum` keyword: a wrong value gets one error listing the allowed ones. */
export function StringEnum<T extends string>(values: readonly T[], options: Record<string, unknown> = {}) {
  return Type.Unsafe<T>({ type: 'string', enum: [...values], ...options });
}

/** Text fields: no control characters and no lone surrogates (neither store can keep them faithfully). */
export const TEXT_PATTERN = '^[^\\p{Cc}\\p{Cs}]*$';
