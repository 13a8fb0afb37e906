/**
 * What changed between two versions of the script: the prompt keys, event labels, lexicons
 * and limits that differ, and a line that says it in words (the versions list shows it).
 */
import { LOCALES } from '../../machines/catalogue.js';
import { fingerprint } from '../calls/fingerprint.js';
import type { Changes, Limits, ScriptContent } from './schema.js';

export function changesBetween(
  before: ScriptContent,
  beforeLimits: Limits,
  after: ScriptContent,
  afterLimits: Limits,
): Changes {
  const changes: Changes = { prompts: [], events: [], lexicon: [], limits: [] };
  for (const locale of LOCALES) {
    const a = before.catalogues[locale];
    const b = after.catalogues[locale];
    for (const key of union(Object.keys(a.prompts), Object.keys(b.prompts)))
      if (fingerprint(a.prompts[key] ?? null) !== fingerprint(b.prompts[key] ?? null))
        changes.prompts.push(`${locale}:${key}`);
    for (const type of union(Object.keys(a.events), Object.keys(b.events)))
      if (a.events[type] !== b.events[type]) changes.events.push(`${locale}:${type}`);
    if (fingerprint(a.lexicon) !== fingerprint(b.lexicon)) changes.lexicon.push(locale);
  }
  for (const name of Object.keys(afterLimits) as (keyof Limits)[])
    if (beforeLimits[name] !== afterLimits[name])
      changes.limits.push(`${name} ${beforeLimits[name]} → ${afterLimits[name]}`);
  return changes;
}

export function describeChanges(changes: Changes): string {
  const parts: string[] = [];
  const list = (items: string[]) =>
    items.length > 4 ? `${items.slice(0, 4).join(', ')} and ${items.length - 4} more` : items.join(', ');
  if (changes.prompts.length)
    parts.push(`${changes.prompts.length} phrase${changes.prompts.length === 1 ? '' : 's'} (${list(changes.prompts)})`);
  if (changes.events.length)
    parts.push(
      `${changes.events.length} event label${changes.events.length === 1 ? '' : 's'} (${list(changes.events)})`,
    );
  if (changes.lexicon.length) parts.push(`the transcript words of ${changes.lexicon.join(', ')}`);
  if (changes.limits.length) parts.push(`limits: ${changes.limits.join(', ')}`);
  return parts.length ? `Changed ${parts.join('; ')}` : 'No change';
}

function union(a: string[], b: string[]): string[] {
  return [...new Set([...a, ...b])].sort();
}
