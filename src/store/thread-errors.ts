/**
 * Errors across the SQLite writer thread's boundary. A message carries plain data, so an error
 * crosses as its name, message and code; the code (SQLITE_FULL, SQLITE_IOERR_WRITE...) is what
 * the store's fault classification (faults.ts) reads, so it must arrive intact.
 */
export interface SerializedError {
  name: string;
  message: string;
  code?: string;
}

export function serializeError(error: unknown): SerializedError {
  const { name, message, code } = error as Error & { code?: unknown };
  return {
    name: typeof name === 'string' ? name : 'Error',
    message: String(message),
    ...(typeof code === 'string' ? { code } : {}),
  };
}

/** The writer thread's error on this side, with its name and code. */
export function reviveError(serialized: SerializedError): Error & { code?: string } {
  const error = new Error(serialized.message) as Error & { code?: string };
  error.name = serialized.name;
  if (serialized.code !== undefined) error.code = serialized.code;
  return error;
}
