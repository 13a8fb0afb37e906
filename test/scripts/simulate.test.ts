/**
 * POST /v1/simulate on a script version (SPEC §11): the current version by default, a published
 * one by `scriptVersion`, or an unpublished draft, checked as a publish is; nothing is published.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NAME, TAILS } from '../api/texts.js';
import { problemOf } from '../support/api.js';
import { buildTestApp, post, type TestApp } from '../support/app.js';
import { shippedScript, V2_EN, V2_RU, withHoldCheck } from './helpers.js';

let app: TestApp;
beforeAll(async () => {
  app = await buildTestApp({ HOLD_CHECK_SECONDS: '30' });
});
afterAll(async () => app.close());

const HOLD = [{ event: 'call.hold' }, { wait: 'hold.check' }];
type Transcript = {
  steps: { outcome: string; prompts?: { key: string; text: string }[]; counters?: { repeats: number } }[];
};

async function simulate(body: Record<string, unknown>, status = 200) {
  const res = await post(app, '/v1/simulate', { customer: NAME, ...body });
  expect(res.statusCode, res.body).toBe(status);
  return res.json() as Transcript;
}
const holdCheckOf = (t: Transcript) => t.steps[1]!.prompts!.find((p) => p.key === 'hold.check')!.text;

describe('POST /v1/simulate on a script version', () => {
  it('runs on the current version, a published one by number, or a draft', async () => {
    const v1 = `Иван Петрович, ${TAILS['hold.check']}`;
    const v2 = 'Иван Петрович, спасибо, что ждёте: я почти закончил';
    expect(holdCheckOf(await simulate({ steps: HOLD }))).toBe(v1);

    const draft = withHoldCheck('И.О., это черновик', '{name}, this is a draft');
    expect(holdCheckOf(await simulate({ steps: HOLD, draft }))).toBe('Иван Петрович, это черновик');
    // A draft is not published.
    const versions = (await app.inject({ method: 'GET', url: '/v1/script/versions' })).json() as {
      versions: unknown[];
    };
    expect(versions.versions).toHaveLength(1);

    const put = await app.inject({ method: 'PUT', url: '/v1/script', payload: withHoldCheck(V2_RU, V2_EN) });
    expect(put.statusCode, put.body).toBe(201);
    expect(holdCheckOf(await simulate({ steps: HOLD }))).toBe(v2);
    expect(holdCheckOf(await simulate({ steps: HOLD, scriptVersion: 1 }))).toBe(v1);
  });

  it('a draft runs with its own limits', async () => {
    const steps = [
      { event: 'answer.given' },
      { event: 'customer.repeat-request' },
      { event: 'customer.repeat-request' },
    ];
    const strict = await simulate({ steps, draft: { ...shippedScript(), limits: { maxRepeats: 1 } } });
    expect(strict.steps[2]!.prompts!.map((p) => p.key)).toContain('repeat.limit');
    const usual = await simulate({ steps });
    expect(usual.steps[2]!.prompts!.map((p) => p.key)).not.toContain('repeat.limit');
  });

  it('a bad draft is a 400 naming its field; an unknown version a 404; both together a 400', async () => {
    const bad = shippedScript();
    bad.catalogues.ru.prompts['hold.check']!.text = 'Ждите, И.О.';
    const res = await post(app, '/v1/simulate', { steps: HOLD, draft: bad });
    const problem = problemOf(res, 400);
    expect((problem.errors as { field: string }[]).map((e) => e.field)).toEqual([
      'body.draft.catalogues.ru.prompts.hold.check.text',
    ]);
    problemOf(await post(app, '/v1/simulate', { steps: HOLD, scriptVersion: 42 }), 404);
    problemOf(await post(app, '/v1/simulate', { steps: HOLD, scriptVersion: 1, draft: shippedScript() }), 400);
  });
});
