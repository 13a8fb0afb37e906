/**
 * PUT /v1/script refuses a bad script (SPEC §11): each case is a 400 problem whose `errors`
 * name the field that is wrong, and nothing is published. The cases are what the catalogue
 * tests (test/machine/catalogue.test.ts) check of the shipped catalogues, plus the shape.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { problemOf } from '../support/api.js';
import { buildTestApp, type TestApp } from '../support/app.js';
import { type Script, shippedScript } from './helpers.js';

type Edit = (script: Script & Record<string, unknown>) => void;

const prompt = (s: Script, locale: 'ru' | 'en', key: string) =>
  s.catalogues[locale].prompts[key] as { text: unknown; instruction: unknown; source: unknown };

/** [what is wrong, the edit, the fields the 400 must name (and a word of its message)] */
const CASES: [string, Edit, [field: string, message: RegExp][]][] = [
  [
    'a prompt key of the machine missing',
    (s) => delete s.catalogues.en.prompts['hold.check'],
    [['body.catalogues.en.prompts.hold.check', /missing/]],
  ],
  [
    'a prompt key the machine never says',
    (s) => {
      s.catalogues.ru.prompts['hold.chek'] = { text: 'Минуту', instruction: null, source: 'callflow' };
    },
    [['body.catalogues.ru.prompts.hold.chek', /not a prompt/]],
  ],
  [
    'an empty text',
    (s) => (prompt(s, 'ru', 'greeting').text = ''),
    [['body.catalogues.ru.prompts.greeting.text', /fewer than 1/]],
  ],
  [
    'a blank text',
    (s) => (prompt(s, 'en', 'greeting').text = '   '),
    [['body.catalogues.en.prompts.greeting.text', /blank/]],
  ],
  [
    'a blank instruction (null is how there is none)',
    (s) => (prompt(s, 'ru', 'hold.check').instruction = ' '),
    [['body.catalogues.ru.prompts.hold.check.instruction', /blank/]],
  ],
  [
    'И.О. in the middle, where no name cannot drop it',
    (s) => (prompt(s, 'ru', 'hold.start').text = 'Оставайтесь на линии, И.О., я уточню'),
    [['body.catalogues.ru.prompts.hold.start.text', /only at the start/]],
  ],
  [
    'И.О. without its comma',
    (s) => (prompt(s, 'ru', 'hold.return').text = 'И.О. благодарю Вас за ожидание'),
    [['body.catalogues.ru.prompts.hold.return.text', /only at the start/]],
  ],
  [
    '{name} at the end',
    (s) => (prompt(s, 'en', 'hold.start').text = 'Please stay on the line, {name}'),
    [['body.catalogues.en.prompts.hold.start.text', /only at the start/]],
  ],
  [
    'a placeholder that is not {name}',
    (s) => (prompt(s, 'en', 'hold.start').text = '{first}, please stay on the line'),
    [['body.catalogues.en.prompts.hold.start.text', /placeholder/]],
  ],
  [
    'only the address',
    (s) => (prompt(s, 'ru', 'hold.start').text = 'И.О., '),
    [['body.catalogues.ru.prompts.hold.start.text', /only the address/]],
  ],
  [
    'a phrase that starts lower-case',
    (s) => (prompt(s, 'ru', 'greeting').text = 'добрый день!'),
    [['body.catalogues.ru.prompts.greeting.text', /lower-case/]],
  ],
  [
    'a source that is neither seed nor callflow',
    (s) => (prompt(s, 'ru', 'greeting').source = 'mine'),
    [['body.catalogues.ru.prompts.greeting.source', /allowed values/]],
  ],
  [
    'sources that differ between the catalogues',
    (s) => (prompt(s, 'en', 'hold.check').source = 'callflow'),
    [['body.catalogues.en.prompts.hold.check.source', /as in ru/]],
  ],
  [
    'an instruction in one catalogue and none in the other',
    (s) => (prompt(s, 'en', 'hold.check').instruction = null),
    [['body.catalogues.en.prompts.hold.check.instruction', /as in ru/]],
  ],
  [
    'an event label missing',
    (s) => delete s.catalogues.ru.events['call.hold'],
    [['body.catalogues.ru.events.call.hold', /missing/]],
  ],
  [
    'a blank event label',
    (s) => (s.catalogues.en.events['call.hold'] = ' '),
    [['body.catalogues.en.events.call.hold', /blank/]],
  ],
  [
    'a label of an event the script does not have',
    (s) => (s.catalogues.en.events['call.transfer'] = 'Transfer'),
    [['body.catalogues.en.events.call.transfer', /not an event/]],
  ],
  [
    'a catalogue in the wrong place',
    (s) => ((s.catalogues.en as { locale: string }).locale = 'ru'),
    [['body.catalogues.en.locale', /must be "en"/]],
  ],
  [
    'a locale missing',
    (s) => delete (s.catalogues as Partial<Script['catalogues']>).en,
    [['body.catalogues.en', /required/]],
  ],
  [
    'a lexicon pattern that does not compile',
    (s) => s.catalogues.ru.lexicon.events['customer.profanity']!.patterns.push('@no-such-set'),
    [['body.catalogues.ru.lexicon', /no-such-set/]],
  ],
  [
    'a lexicon of the wrong shape',
    (s) => ((s.catalogues.ru.lexicon as { minConfidence: unknown }).minConfidence = 2),
    [['body.catalogues.ru.lexicon.minConfidence', /<= 1/]],
  ],
  ['maxRepeats of 0', (s) => (s.limits = { maxRepeats: 0 }), [['body.limits.maxRepeats', />= 1/]]],
  [
    'maxConnectionAttempts of 101',
    (s) => (s.limits = { maxConnectionAttempts: 101 }),
    [['body.limits.maxConnectionAttempts', /<= 100/]],
  ],
  ['a hold check of 0 s', (s) => (s.limits = { holdCheckSeconds: 0 }), [['body.limits.holdCheckSeconds', /> 0/]]],
  ['a fractional maxRepeats', (s) => (s.limits = { maxRepeats: 1.5 }), [['body.limits.maxRepeats', /integer/]]],
  ['an unknown limit', (s) => (s.limits = { maxHolds: 2 }), [['body.limits.maxHolds', /not a known field/]]],
  ['an unknown field', (s) => (s.draft = true), [['body.draft', /not a known field/]]],
  [
    'several problems at once: each is named',
    (s) => {
      delete s.catalogues.ru.prompts['repeat.limit'];
      prompt(s, 'en', 'greeting').text = 'hello';
      s.limits = { maxRepeats: 0 };
    },
    [
      ['body.catalogues.ru.prompts.repeat.limit', /missing/],
      ['body.catalogues.en.prompts.greeting.text', /lower-case/],
      ['body.limits.maxRepeats', />= 1/],
    ],
  ],
];

let app: TestApp;
const ADMIN = { authorization: 'Bearer admin-token' };

beforeAll(async () => {
  app = await buildTestApp({ API_TOKENS: 'admin-token:admin' });
});
afterAll(async () => {
  await app.close();
});

const versions = async () =>
  (
    (await app.inject({ method: 'GET', url: '/v1/script/versions', headers: ADMIN })).json() as {
      versions: unknown[];
    }
  ).versions.length;

describe('PUT /v1/script refuses a bad script, naming each problem', () => {
  it('the shipped script itself is valid (equal to version 1: 200, nothing published)', async () => {
    const res = await app.inject({ method: 'PUT', url: '/v1/script', headers: ADMIN, payload: shippedScript() });
    expect(res.statusCode, res.body).toBe(200);
  });

  it.each(CASES)('%s', async (_, edit, named) => {
    const script = shippedScript() as Script & Record<string, unknown>;
    edit(script);
    const before = await versions();
    const res = await app.inject({ method: 'PUT', url: '/v1/script', headers: ADMIN, payload: script });
    const problem = problemOf(res, 400);
    const errors = problem.errors as { field: string; message: string }[];
    for (const [field, message] of named) {
      const found = errors.filter((e) => e.field === field);
      expect(found, `${field} in ${JSON.stringify(errors)}`).not.toHaveLength(0);
      expect(found.map((e) => e.message).join(' | ')).toMatch(message);
    }
    // No other field is blamed.
    expect([...new Set(errors.map((e) => e.field))].sort()).toEqual([...new Set(named.map(([f]) => f))].sort());
    expect(await versions()).toBe(before);
  });

  it('a body that is not an object, and one without catalogues', async () => {
    const before = await versions();
    for (const payload of [[], { limits: {} }]) {
      const res = await app.inject({ method: 'PUT', url: '/v1/script', headers: ADMIN, payload });
      problemOf(res, 400);
    }
    expect(await versions()).toBe(before);
  });
});

describe('OpenAPI of the script routes', () => {
  it('documents the body, the answers and the roles', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as {
      paths: Record<
        string,
        Record<
          string,
          {
            description?: string;
            parameters?: { name: string }[];
            requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> };
            responses: Record<string, unknown>;
          }
        >
      >;
    };
    const put = doc.paths['/v1/script']?.put;
    expect(put, 'PUT /v1/script').toBeDefined();
    expect(Object.keys(put!.requestBody!.content['application/json']!.schema.properties ?? {}).sort()).toEqual([
      'catalogues',
      'limits',
    ]);
    expect(Object.keys(put!.responses)).toEqual(expect.arrayContaining(['200', '201', '400', '401', '403']));
    expect(put!.description).toMatch(/Roles: admin\./);
    const get = doc.paths['/v1/script']?.get;
    expect(get!.parameters!.map((p) => p.name)).toEqual(['version']);
    expect(Object.keys(get!.responses)).toEqual(expect.arrayContaining(['200', '404']));
    expect(doc.paths['/v1/script/versions']?.get?.description).toMatch(/Roles: operator, supervisor, admin\./);
  });
});
