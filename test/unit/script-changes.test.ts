/** What changed between two script versions (src/scripts/changes.ts): every kind of change, and its line. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../machines/call.machine.js';
import { CATALOGUES } from '../../machines/catalogue.js';
import { changesBetween, describeChanges } from '../../src/scripts/changes.js';
import type { ScriptContent } from '../../src/scripts/schema.js';

const base = (): ScriptContent => ({ catalogues: structuredClone(CATALOGUES), limits: {} });

describe('changesBetween and describeChanges', () => {
  it('the same script: no change', () => {
    const changes = changesBetween(base(), DEFAULT_LIMITS, base(), DEFAULT_LIMITS);
    expect(changes).toEqual({ prompts: [], events: [], lexicon: [], limits: [] });
    expect(describeChanges(changes)).toBe('No change');
  });

  it('names phrases (text or instruction), labels, lexicons and limits that differ', () => {
    const after = base();
    after.catalogues.ru.prompts['hold.check']!.instruction = 'Вернитесь к клиенту';
    after.catalogues.en.prompts.greeting!.text = 'Hello!';
    after.catalogues.en.events['call.hold'] = 'On hold';
    after.catalogues.ru.lexicon.fillers.push('типа-того');
    const changes = changesBetween(base(), DEFAULT_LIMITS, after, { ...DEFAULT_LIMITS, holdCheckSeconds: 45 });
    expect(changes).toEqual({
      prompts: ['ru:hold.check', 'en:greeting'],
      events: ['en:call.hold'],
      lexicon: ['ru'],
      limits: ['holdCheckSeconds 30 → 45'],
    });
    expect(describeChanges(changes)).toBe(
      'Changed 2 phrases (ru:hold.check, en:greeting); 1 event label (en:call.hold); the transcript words of ru; limits: holdCheckSeconds 30 → 45',
    );
  });

  it('a long list is cut after four, saying how many more', () => {
    const after = base();
    for (const key of Object.keys(after.catalogues.ru.prompts)) after.catalogues.ru.prompts[key]!.text += '!';
    const line = describeChanges(changesBetween(base(), DEFAULT_LIMITS, after, DEFAULT_LIMITS));
    expect(line).toMatch(/^Changed 20 phrases \(ru:[^,]+, ru:[^,]+, ru:[^,]+, ru:[^ ]+ and 16 more\)$/);
  });
});
