import type { CallStore } from './types.js';

export async function openPostgresStore(_url: string): Promise<CallStore> {
  throw new Error('PostgreSQL store: not implemented yet');
}
