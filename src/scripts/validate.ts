/**
 * Everything a published script must be (SPEC §11), each problem named by its field: the shape
 * (schema.ts), every prompt key of the machine and no other in every catalogue, no blank
 * text, the customer's address only where the no-name rule can drop it, the same sources in
 * both catalogues, a label for every event, lexicons that compile, limits in range. These are
 * the checks test/machine/catalogue.test.ts makes of the shipped catalogues.
 */
import { CALL_EVENT_TYPES } from '../../machines/call.events.js';
import { LOCALES, renderText } from '../../machines/catalogue.js';
import type { Lexicon } from '../../machines/lexicon.js';
import { bodyAjv } from '../http/ajv.js';
import { compileLexicon, LexiconError } from '../transcripts/compile.js';
import { shippedNames } from '../transcripts/names.js';
import { machinePromptKeys } from './prompt-keys.js';
import { ScriptBody } from './schema.js';

/** `path` as JSON pointer segments below the body; `message` says what is wrong. */
export interface ScriptProblem {
  path: string[];
  message: string;
}

const checkShape = bodyAjv.compile(ScriptBody);

/**
 * The address a phrase may start with (machines/catalogue.ts drops it when no name is known):
 * "И.О.," (the seed's "ИО," too) or "{name},". Anywhere else it would reach the operator as is.
 */
const LEADING_ADDRESS = /^\s*(?:И\.\s?О\.|ИО|\{name\})\s*,\s*/u;
const ANY_ADDRESS = /И\.\s?О\.|(?<!\p{L})ИО(?!\p{L})|\{name\}/u;
const ANY_BRACE = /[{}]/u;
const SOURCES = new Set<unknown>(['seed', 'callflow']);

type Entry = { text?: unknown; instruction?: unknown; source?: unknown };

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function scriptProblems(body: unknown): ScriptProblem[] {
  const problems: ScriptProblem[] = [];
  if (!checkShape(body)) {
    for (const error of checkShape.errors ?? []) {
      const path = error.instancePath.split('/').slice(1).map(unescapePointer);
      const extra = (error.params as { additionalProperty?: string; missingProperty?: string }) ?? {};
      if (extra.additionalProperty)
        problems.push({ path: [...path, extra.additionalProperty], message: 'is not a known field' });
      else if (extra.missingProperty) problems.push({ path: [...path, extra.missingProperty], message: 'is required' });
      else problems.push({ path, message: error.message ?? 'is invalid' });
    }
  }
  if (!isRecord(body) || !isRecord(body.catalogues)) return problems;
  const catalogues = body.catalogues;
  const keys = machinePromptKeys();
  for (const locale of LOCALES) {
    const catalogue = catalogues[locale];
    if (!isRecord(catalogue)) continue;
    const at = (...rest: string[]) => ['catalogues', locale, ...rest];
    if (typeof catalogue.locale === 'string' && catalogue.locale !== locale)
      problems.push({ path: at('locale'), message: `must be "${locale}", the catalogue's place` });
    if (isRecord(catalogue.prompts)) {
      const prompts = catalogue.prompts;
      for (const key of keys)
        if (!(key in prompts)) problems.push({ path: at('prompts', key), message: 'is missing: the script says it' });
      for (const [key, entry] of Object.entries(prompts)) {
        if (!keys.includes(key)) {
          problems.push({ path: at('prompts', key), message: 'is not a prompt the script says' });
          continue;
        }
        if (isRecord(entry)) problems.push(...entryProblems(entry as Entry, at('prompts', key)));
      }
    }
    if (isRecord(catalogue.events)) {
      for (const type of CALL_EVENT_TYPES)
        if (!(type in catalogue.events))
          problems.push({ path: at('events', type), message: 'is missing: every event has a label' });
      for (const [type, label] of Object.entries(catalogue.events)) {
        if (!(CALL_EVENT_TYPES as string[]).includes(type))
          problems.push({ path: at('events', type), message: 'is not an event of the script' });
        else if (typeof label === 'string' && label.trim() === '')
          problems.push({ path: at('events', type), message: 'is blank' });
      }
    }
    if (isRecord(catalogue.lexicon)) {
      try {
        compileLexicon(catalogue.lexicon as Lexicon, locale, shippedNames(locale));
      } catch (error) {
        // Shape errors are reported above, field by field; this adds what only compiling finds.
        if (!(error instanceof LexiconError)) throw error;
        if (!/is malformed/.test(error.message)) problems.push({ path: at('lexicon'), message: error.message });
      }
    }
  }
  problems.push(...crossLocaleProblems(catalogues));
  return problems;
}

function entryProblems(entry: Entry, path: string[]): ScriptProblem[] {
  const problems: ScriptProblem[] = [];
  if (typeof entry.text === 'string') {
    const text = entry.text;
    if (text.trim() === '') problems.push({ path: [...path, 'text'], message: 'is blank' });
    else {
      const rest = text.replace(LEADING_ADDRESS, '');
      if (ANY_ADDRESS.test(rest))
        problems.push({
          path: [...path, 'text'],
          message:
            'has the customer’s address ("И.О." / "{name}") where it cannot be dropped: only at the start, followed by a comma',
        });
      else if (ANY_BRACE.test(rest))
        problems.push({ path: [...path, 'text'], message: 'has a placeholder other than a leading "{name},"' });
      else {
        const spoken = renderText(text, null).trim();
        if (spoken === '')
          problems.push({ path: [...path, 'text'], message: 'is only the address: nothing is said without a name' });
        else if (spoken.charAt(0) !== spoken.charAt(0).toLocaleUpperCase())
          problems.push({ path: [...path, 'text'], message: 'starts with a lower-case letter' });
      }
    }
  }
  if (typeof entry.instruction === 'string' && entry.instruction.trim() === '')
    problems.push({ path: [...path, 'instruction'], message: 'is blank (null when there is none)' });
  return problems;
}

/** Both catalogues describe the same script: the same source and the same kind of instruction per key. */
function crossLocaleProblems(catalogues: Record<string, unknown>): ScriptProblem[] {
  const [first, ...others] = LOCALES;
  const base = catalogues[first];
  if (!isRecord(base) || !isRecord(base.prompts)) return [];
  const problems: ScriptProblem[] = [];
  for (const locale of others) {
    const other = catalogues[locale];
    if (!isRecord(other) || !isRecord(other.prompts)) continue;
    for (const [key, entry] of Object.entries(other.prompts)) {
      const mine = base.prompts[key] as Entry | undefined;
      if (!isRecord(entry) || !isRecord(mine)) continue;
      const theirs = entry as Entry;
      // Only known sources are compared: an unknown one is already named by the shape check.
      if (SOURCES.has(theirs.source) && SOURCES.has(mine.source) && theirs.source !== mine.source)
        problems.push({
          path: ['catalogues', locale, 'prompts', key, 'source'],
          message: `must be "${mine.source}" as in ${first}`,
        });
      if ((theirs.instruction === null) !== (mine.instruction === null))
        problems.push({
          path: ['catalogues', locale, 'prompts', key, 'instruction'],
          message: `must be ${mine.instruction === null ? 'null' : 'given'} as in ${first}`,
        });
    }
  }
  return problems;
}

function unescapePointer(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}
