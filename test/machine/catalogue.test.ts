/**
 * The phrase catalogues against the machine and the client's script (SPEC §2): every prompt
 * key the machine can emit exists in every catalogue, nothing is orphaned, seed phrases are
 * the seed's words, and the renderer fills in (or drops) the customer's address.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { AnyStateNode } from 'xstate';
import { CALL_EVENT_TYPES } from '../../machines/call.events.js';
import { createCallMachine, type PromptKey } from '../../machines/call.machine.js';
import {
  addressOf,
  CATALOGUES,
  eventLabel,
  LOCALES,
  type Locale,
  renderPrompt,
  renderText,
} from '../../machines/catalogue.js';
import { IVAN } from './helpers.js';

/**
 * The client's script as the repository carries it (docs/script/operator-script.ru.txt), copied
 * byte for byte from the client's file; the hash below is that file's, so an edit fails here.
 */
const SEED_FILE = new URL('../../docs/script/operator-script.ru.txt', import.meta.url);
const SEED_SHA256 = '5199a59c29cfe81aa7668031cdfb8d96082135ca0112a33780a122926139e364';
const SEED = readFileSync(SEED_FILE, 'utf8');

/** The seed's typing slips the catalogue corrects, each with enough context to be unambiguous. */
const SLIP_FIXES: [slip: string, fixed: string][] = [
  ['качество связи улучшиться', 'качество связи улучшится'],
  ['на сервисную линии', 'на сервисную линию'],
  ['Информация о точном месте', 'Информацию о точном месте'],
];

/** Quotes of any kind dropped, whitespace collapsed. */
function normalise(text: string): string {
  return text
    .replace(/[«»"“”„]/gu, ' ')
    .replace(/\s+/gu, ' ')
    .trim();
}

function fixedSeed(): string {
  let text = normalise(SEED);
  for (const [slip, fixed] of SLIP_FIXES) text = text.split(slip).join(fixed);
  return text;
}

type ActionLike = string | { type?: unknown; params?: unknown } | ((...args: never[]) => unknown);

function allStateNodes(node: AnyStateNode): AnyStateNode[] {
  return [node, ...Object.values(node.states).flatMap((child) => allStateNodes(child as AnyStateNode))];
}

/** Every `say` key in the machine: entry/exit actions, event transitions, `after` and `always`. */
function emittedKeys(): { keys: Set<string>; places: string[] } {
  const machine = createCallMachine();
  const keys = new Set<string>();
  const places: string[] = [];
  const visit = (actions: readonly ActionLike[] | undefined, where: string) => {
    for (const action of actions ?? []) {
      if (typeof action !== 'object' || action === null || action.type !== 'say') continue;
      const key = (action.params as { key?: unknown } | undefined)?.key;
      expect(typeof key, `say without a key at ${where}`).toBe('string');
      keys.add(key as string);
      places.push(`${where}: ${key as string}`);
    }
  };
  for (const node of allStateNodes(machine.root)) {
    visit(node.entry as ActionLike[], `${node.id} entry`);
    visit(node.exit as ActionLike[], `${node.id} exit`);
    for (const [event, transitions] of node.transitions) {
      for (const t of transitions) visit(t.actions as ActionLike[], `${node.id} on ${event}`);
    }
    for (const t of node.after) visit(t.actions as ActionLike[], `${node.id} after ${String(t.delay)}`);
    for (const t of node.always ?? []) visit(t.actions as ActionLike[], `${node.id} always`);
  }
  return { keys, places };
}

describe('catalogue keys against the machine', () => {
  const { keys, places } = emittedKeys();

  it('the walk finds the prompts of entry actions, event transitions and the after transition', () => {
    expect(places).toContain('call entry: greeting');
    expect(places).toContain('call.hold after holdCheck: hold.check');
    expect(places).toContain('call.hold on xstate.after.holdCheck.call.hold: hold.check');
    expect(places).toContain('call.conversation.answer.given on customer.repeat-request: repeat.limit');
    expect(keys.size).toBe(20);
  });

  it.each(LOCALES)('every prompt key the machine can emit has non-empty text in %s', (locale) => {
    for (const key of keys) {
      const entry = CATALOGUES[locale].prompts[key];
      expect(entry, `${locale} lacks ${key}`).toBeDefined();
      expect(entry!.text.trim().length, `${locale}:${key}`).toBeGreaterThan(0);
      expect(entry!.instruction === null || entry!.instruction.trim().length > 0, `${locale}:${key}`).toBe(true);
      expect(['seed', 'callflow']).toContain(entry!.source);
    }
  });

  it.each(LOCALES)('no %s catalogue key is orphaned (each is emitted by the machine)', (locale) => {
    expect(Object.keys(CATALOGUES[locale].prompts).sort()).toEqual([...keys].sort());
  });

  it('both catalogues have the same prompt keys, the same sources and a label for every event', () => {
    expect(Object.keys(CATALOGUES.en.prompts).sort()).toEqual(Object.keys(CATALOGUES.ru.prompts).sort());
    for (const key of Object.keys(CATALOGUES.ru.prompts)) {
      expect(CATALOGUES.en.prompts[key]!.source, key).toBe(CATALOGUES.ru.prompts[key]!.source);
      expect(CATALOGUES.en.prompts[key]!.instruction === null, key).toBe(
        CATALOGUES.ru.prompts[key]!.instruction === null,
      );
    }
    for (const locale of LOCALES) {
      expect(CATALOGUES[locale].locale).toBe(locale);
      expect(Object.keys(CATALOGUES[locale].events).sort(), locale).toEqual([...CALL_EVENT_TYPES].sort());
      for (const type of CALL_EVENT_TYPES) {
        expect(CATALOGUES[locale].events[type]?.trim().length, `${locale} label of ${type}`).toBeGreaterThan(0);
        expect(eventLabel(type, locale)).toBe(CATALOGUES[locale].events[type]);
      }
    }
  });

  it('exactly the three phrases the seed lacks are marked as ours (source callflow)', () => {
    const ours = Object.entries(CATALOGUES.ru.prompts)
      .filter(([, entry]) => entry.source === 'callflow')
      .map(([key]) => key)
      .sort();
    expect(ours).toEqual(['greeting', 'offer.declined', 'repeat.answer']);
  });
});

describe('Russian phrases are the seed, verbatim', () => {
  const seed = fixedSeed();

  it("the repository's copy of the script is the client's file, byte for byte", () => {
    expect(createHash('sha256').update(readFileSync(SEED_FILE)).digest('hex')).toBe(SEED_SHA256);
  });

  it('each slip fix corrects a slip the seed really has', () => {
    const raw = normalise(SEED);
    for (const [slip, fixed] of SLIP_FIXES) {
      expect(raw, slip).toContain(slip);
      expect(raw, fixed).not.toContain(fixed);
    }
  });

  it.each(Object.entries(CATALOGUES.ru.prompts).filter(([, entry]) => entry.source === 'seed'))(
    '%s appears in the seed',
    (_, entry) => {
      expect(seed).toContain(normalise(entry.text));
    },
  );

  it.each(Object.entries(CATALOGUES.ru.prompts).filter(([, entry]) => entry.source === 'callflow'))(
    '%s (ours) is not passed off as seed text',
    (_, entry) => {
      expect(seed).not.toContain(normalise(entry.text));
    },
  );

  it('hold.return ends with the seed\'s "…" (the operator goes on with the information)', () => {
    expect(CATALOGUES.ru.prompts['hold.return']!.text.endsWith('…')).toBe(true);
    expect(CATALOGUES.en.prompts['hold.return']!.text.endsWith('…')).toBe(true);
  });

  it('repeat.limit carries the instruction to summarise the dialogue first', () => {
    expect(CATALOGUES.ru.prompts['repeat.limit']!.instruction).toMatch(/резюмируйте диалог/);
    expect(CATALOGUES.en.prompts['repeat.limit']!.instruction).toMatch(/[Ss]ummarise the dialogue/);
  });
});

describe('renderer', () => {
  it('"И.О.," is replaced by first name and patronymic', () => {
    expect(renderText('И.О., благодарю Вас за ожидание,…', IVAN)).toBe('Иван Петрович, благодарю Вас за ожидание,…');
    expect(renderPrompt('connection.inaudible', IVAN).text).toBe('Иван Петрович, к сожалению, Вас не слышно.');
  });

  it('the seed\'s "ИО," form (and a leading space) is replaced the same way', () => {
    expect(renderText(' ИО, давайте пропустим данный параметр.', IVAN)).toBe(
      'Иван Петрович, давайте пропустим данный параметр.',
    );
    expect(renderPrompt('reassure.skip-contact', IVAN).text.startsWith('Иван Петрович, давайте пропустим')).toBe(true);
  });

  it('an unknown name drops the address and capitalises the next word', () => {
    expect(renderText('И.О., оставайтесь, пожалуйста, на линии, я уточню информацию', null)).toBe(
      'Оставайтесь, пожалуйста, на линии, я уточню информацию',
    );
    expect(renderText('ИО, давайте пропустим данный параметр.', undefined)).toBe('Давайте пропустим данный параметр.');
    expect(renderPrompt('connection.cannot-hear', null).text).toBe('Вы меня слышите?');
    expect(renderPrompt('hold.start', { firstName: '' }).text).toBe(
      'Оставайтесь, пожалуйста, на линии, я уточню информацию',
    );
  });

  it('a first name alone is the whole address', () => {
    expect(addressOf({ firstName: 'Иван' })).toBe('Иван');
    expect(renderPrompt('hold.check', { firstName: 'Иван' }).text).toBe(
      'Иван, пожалуйста, оставайтесь на линии. Я уточняю для Вас информацию',
    );
  });

  it('English uses "{name}" the same way', () => {
    expect(renderPrompt('hold.start', IVAN, 'en').text).toBe(
      'Иван Петрович, please stay on the line, I will check the information',
    );
    expect(renderPrompt('hold.start', null, 'en').text).toBe('Please stay on the line, I will check the information');
    expect(renderPrompt('hold.start', { firstName: 'John' }, 'en').text).toBe(
      'John, please stay on the line, I will check the information',
    );
  });

  it('phrases without an address stay as they are, name or not', () => {
    const text = 'Ваш звонок может быть расценен как хулиганский, что влечет за собой Уголовное наказание';
    expect(renderPrompt('prank.warning', IVAN).text).toBe(text);
    expect(renderPrompt('prank.warning', null).text).toBe(text);
    expect(renderPrompt('greeting', IVAN).text).toBe(CATALOGUES.ru.prompts.greeting!.text);
  });

  it('every phrase renders in every locale with no address marker left, with and without a name', () => {
    for (const locale of LOCALES as readonly Locale[]) {
      for (const key of Object.keys(CATALOGUES[locale].prompts) as PromptKey[]) {
        for (const customer of [IVAN, null]) {
          const { text, key: renderedKey } = renderPrompt(key, customer, locale);
          expect(renderedKey).toBe(key);
          expect(text, `${locale}:${key}`).not.toMatch(/И\.\s?О\.|(^|\s)ИО,|\{name\}/u);
          expect(text.charAt(0), `${locale}:${key} starts capitalised`).toBe(text.charAt(0).toLocaleUpperCase());
        }
      }
    }
  });

  it('a key missing from a catalogue is an error, not an empty phrase', () => {
    expect(() => renderPrompt('no.such.key' as PromptKey, IVAN)).toThrow(/missing/);
  });
});
