/**
 * The project's root folder, from the TypeScript sources (src/) and from the compiled build
 * (dist/src/) alike: files that are read at run time (public/, the PostgreSQL migrations) are
 * found from here rather than from the module's own location.
 */
import { fileURLToPath } from 'node:url';

const compiled = import.meta.url.endsWith('.js');

export const PROJECT_ROOT = fileURLToPath(new URL(compiled ? '../../' : '../', import.meta.url));

export function projectPath(...parts: string[]): string {
  return [PROJECT_ROOT.replace(/\/$/, ''), ...parts].join('/');
}
