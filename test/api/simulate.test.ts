/**
 * POST /v1/simulate and GET /v1/scenarios through app.inject: the transcript step by step,
 * expectation results, refused and unrunnable steps, bad steps as 400s naming the step, and
 * that nothing is stored.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderPrompt } from '../../machines/catalogue.js';
import scenarioRoutes from '../../src/http/scenarios.js';
import { SHIPPED_DIR, scenarioFiles } from '../../src/scenarios/suite.js';
import { problemOf } from '../support/api.js';
import { buildTestApp, post, type TestApp } from '../support/app.js';

const IVAN = { firstName: 'Иван', patronymic: 'Петрович' };

interface TranscriptStep {
  step: number;
  line: number | null;
  event?: string;
  wait?: string;
  outcome: 'applied' | 'refused' | 'error' | 'not-run';
  detail: string | null;
  prompts?: { key: string; text: string; instruction: string | null }[];
  state?: string | string[];
  status?: string;
  endReason?: string | null;
  counters?: Record<string, number>;
  allowedEvents?: string[];
  timers?: { name: string; dueAt: string }[];
  actions?: { type: string }[];
  expect?: { passed: boolean; mismatches: { field: string; expected: string; actual: string }[] };
  failure: string | null;
}

interface Transcript {
  name: string | null;
  passed: boolean;
  completed: boolean;
  start: { prompts: { key: string; text: string }[]; state: unknown; status: string };
  steps: TranscriptStep[];
}

let app: TestApp;
beforeAll(async () => {
  app = await buildTestApp({ HOLD_CHECK_SECONDS: '30' });
});
afterAll(async () => {
  await app?.close();
});

async function simulate(body: unknown): Promise<Transcript> {
  const res = await post(app, '/v1/simulate', body);
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as Transcript;
}

describe('POST /v1/simulate', () => {
  it('answers the transcript: per step the prompts with their text, the state, the counters, status and endReason', async () => {
    const t = await simulate({
      customer: IVAN,
      steps: [
        { event: 'answer.given' },
        { event: 'customer.repeat-request' },
        { event: 'call.hold' },
        { wait: 'hold.check' },
        { event: 'call.unhold' },
        { event: 'customer.unknown-topic', data: { topic: 'новая рассылка' } },
        { event: 'customer.profanity' },
        { event: 'customer.profanity' },
      ],
    });
    expect(t.name).toBeNull();
    expect(t.passed).toBe(true);
    expect(t.completed).toBe(true);
    expect(t.start.prompts).toEqual([renderPrompt('greeting', IVAN)]);
    expect(t.start.status).toBe('active');
    expect(t.steps.map((s) => [s.step, s.event ?? `wait ${s.wait}`, s.outcome, s.prompts?.map((p) => p.key)])).toEqual([
      [1, 'answer.given', 'applied', []],
      [2, 'customer.repeat-request', 'applied', ['repeat.answer']],
      [3, 'call.hold', 'applied', ['hold.start']],
      [4, 'wait hold.check', 'applied', ['hold.check']],
      [5, 'call.unhold', 'applied', ['hold.return']],
      [6, 'customer.unknown-topic', 'applied', ['info.unknown-topic']],
      [7, 'customer.profanity', 'applied', ['profanity.warning']],
      [8, 'customer.profanity', 'applied', ['profanity.termination']],
    ]);
    const [, repeat, hold, check, , unknown, , last] = t.steps;
    expect(repeat!.prompts).toEqual([renderPrompt('repeat.answer', IVAN)]);
    expect(repeat!.counters).toEqual({ repeats: 1, connectionAttempts: 0, warnings: 0 });
    expect(hold!.state).toBe('hold');
    // The simulated clock: the check is due 30 s (HOLD_CHECK_SECONDS) after the hold, and fires then.
    expect(hold!.timers).toHaveLength(1);
    const due = Date.parse(hold!.timers![0]!.dueAt);
    expect(Date.parse(check!.timers![0]!.dueAt) - due).toBe(30_000);
    expect(check!.prompts![0]!.text).toBe(
      'Иван Петрович, пожалуйста, оставайтесь на линии. Я уточняю для Вас информацию',
    );
    expect(unknown!.actions).toEqual([{ type: 'supervisor.escalation', topic: 'новая рассылка' }]);
    expect(last).toMatchObject({
      status: 'ended',
      endReason: 'profanity',
      allowedEvents: [],
      detail: null,
      failure: null,
    });
    expect(last!.expect).toBeUndefined();
  });

  it('nothing is stored: no call, no history, no timer', async () => {
    await simulate({ steps: [{ event: 'call.hold' }, { wait: 'hold.check' }] });
    const list = await app.inject({ method: 'GET', url: '/v1/calls' });
    expect(list.json()).toEqual({ calls: [], nextCursor: null });
    // No job of any call (the service's own jobs of no call, such as retention, are there anyway).
    expect(await app.store.query("SELECT call_id, timer_id FROM jobs WHERE call_id <> ''")).toEqual([]);
    expect(await app.store.countCalls('active')).toBe(0);
    expect(await app.store.countCalls('ended')).toBe(0);
  });

  it('gives each expectation’s result, passed or with what was expected and what came', async () => {
    const t = await simulate({
      steps: [
        { event: 'answer.given', expect: { prompts: [], counters: { repeats: 0 } } },
        { event: 'customer.repeat-request', expect: { prompts: ['repeat.limit'], counters: { repeats: 1 } } },
        { event: 'customer.prank' },
      ],
    });
    expect(t.passed).toBe(false);
    expect(t.completed).toBe(true);
    expect(t.steps[0]!.expect).toEqual({ passed: true, mismatches: [] });
    expect(t.steps[0]!.failure).toBeNull();
    expect(t.steps[1]!.expect).toEqual({
      passed: false,
      mismatches: [{ field: 'prompts', expected: '[repeat.limit]', actual: '[repeat.answer]' }],
    });
    expect(t.steps[1]!.failure).toBe('prompts: expected [repeat.limit], got [repeat.answer]');
    expect(t.steps[2]!.outcome).toBe('applied');
  });

  it('an event not allowed now is a refused step; the call is as it stays; expected refusals pass', async () => {
    const t = await simulate({
      steps: [
        { event: 'customer.repeat-request', expect: { refused: true, counters: { repeats: 0 } } },
        { event: 'call.hold' },
        { event: 'customer.prank' },
        { event: 'call.unhold' },
      ],
    });
    expect(t.steps[0]).toMatchObject({ outcome: 'refused', prompts: [], expect: { passed: true }, failure: null });
    expect(t.steps[0]!.detail).toMatch(/customer\.repeat-request.*not allowed/);
    expect(t.steps[2]).toMatchObject({ outcome: 'refused', state: 'hold' });
    expect(t.steps[2]!.failure).toMatch(/^expected the event to be applied, got refused/);
    expect(t.steps[3]).toMatchObject({ outcome: 'not-run', failure: null });
    expect(t.steps[3]!.prompts).toBeUndefined();
    expect(t).toMatchObject({ passed: false, completed: false });
  });

  it('a wait with no hold check pending is an error step, and the steps after it do not run', async () => {
    const t = await simulate({ steps: [{ event: 'answer.given' }, { wait: 'hold.check' }, { event: 'call.hold' }] });
    expect(t.steps[1]).toMatchObject({ outcome: 'error', wait: 'hold.check' });
    expect(t.steps[1]!.detail).toMatch(/no hold\.check is pending/);
    expect(t.steps[1]!.failure).toBe(t.steps[1]!.detail);
    expect(t.steps[2]!.outcome).toBe('not-run');
    expect(t).toMatchObject({ passed: false, completed: false });
  });

  it('renders in the call’s locale and without a name by the no-name rule', async () => {
    const en = await simulate({ locale: 'en', customer: IVAN, steps: [{ event: 'call.hold' }] });
    expect(en.steps[0]!.prompts).toEqual([renderPrompt('hold.start', IVAN, 'en')]);
    const anonymous = await simulate({ steps: [{ event: 'call.hold' }] });
    expect(anonymous.steps[0]!.prompts![0]!.text).toBe('Оставайтесь, пожалуйста, на линии, я уточню информацию');
  });

  it('takes a scenario file’s YAML instead, and names its lines', async () => {
    const yaml =
      'name: from yaml\ncustomer: { firstName: Анна }\nsteps:\n  - event: call.hold\n    expect: { prompts: [hold.start] }\n';
    const t = await simulate({ scenario: yaml });
    expect(t).toMatchObject({ name: 'from yaml', passed: true });
    expect(t.steps[0]).toMatchObject({ line: 4, event: 'call.hold' });
    expect(t.steps[0]!.prompts![0]!.text.startsWith('Анна, ')).toBe(true);

    const bad = await post(app, '/v1/simulate', {
      scenario: 'name: x\nsteps:\n  - event: call.hold\n  - event: customer.nope\n',
    });
    const problem = problemOf(bad, 400);
    expect(problem.detail).toMatch(/line 4: steps\[1\]\.event: "customer\.nope" is not a known value/);
    expect(problem.errors).toEqual([{ field: 'body.scenario', message: expect.stringMatching(/^line 4: /) }]);
  });

  it.each([
    ['an unknown event', { steps: [{ event: 'call.hold' }, { event: 'customer.nope' }] }, /body\.steps\.1\.event/],
    [
      'data its event does not take',
      { steps: [{ event: 'call.hold' }, { event: 'customer.unknown-topic', data: { topic: 'x', extra: 1 } }] },
      /body\.steps\.1\.data\.extra is not a known field \(step 2, customer\.unknown-topic\)/,
    ],
    [
      'data missing a required field',
      { steps: [{ event: 'customer.contact-refused', data: {} }] },
      /body\.steps\.0\.data needs "field" \(step 1, customer\.contact-refused\)/,
    ],
    [
      'data of the wrong value',
      { steps: [{ event: 'customer.identified', data: { firstName: '' } }] },
      /body\.steps\.0\.data\.firstName must NOT have fewer than 1 characters \(step 1, customer\.identified\)/,
    ],
    [
      'a step with neither event nor wait',
      { steps: [{ expect: { prompts: [] } }] },
      /needs "event" \(or "wait"\) \(step 1/,
    ],
    [
      'a step with data on a wait',
      { steps: [{ wait: 'hold.check', data: {} }] },
      /body\.steps\.0\.data is not a known field \(step 1, wait hold\.check\)/,
    ],
    ['a wait for an unknown timer', { steps: [{ wait: 'idle' }] }, /body\.steps\.0\.wait/],
    ['an unknown expectation', { steps: [{ event: 'call.hold', expect: { prompt: [] } }] }, /body\.steps\.0\.expect/],
    ['no steps', { steps: [] }, /body\.steps/],
    ['neither steps nor a scenario', { customer: IVAN }, /needs "steps" or "scenario"/],
    ['steps and a scenario', { scenario: 'name: x', steps: [{ event: 'call.hold' }] }, /comes alone/],
    ['an unknown field', { steps: [{ event: 'call.hold' }], callId: 'x' }, /callId/],
  ])('%s: a 400 problem naming the step', async (_, body, detail) => {
    const res = await post(app, '/v1/simulate', body);
    const problem = problemOf(res, 400);
    expect(problem.detail).toMatch(detail);
    expect(Array.isArray(problem.errors)).toBe(true);
  });

  it('needs the operator role (SPEC §6): no token 401, telephony 403, operator and supervisor 200', async () => {
    const secured = await buildTestApp({ API_TOKENS: 'tel-1:telephony,op-1:operator,sup-1:supervisor' });
    try {
      const body = { steps: [{ event: 'call.hold' }] };
      const as = (token: string | null, url = '/v1/simulate', method: 'POST' | 'GET' = 'POST') =>
        secured.inject({
          method,
          url,
          ...(method === 'POST' ? { payload: body } : {}),
          headers: token ? { authorization: `Bearer ${token}` } : {},
        });
      problemOf(await as(null), 401);
      const forbidden = problemOf(await as('tel-1'), 403);
      expect(forbidden.detail).toMatch(/operator/);
      expect((await as('op-1')).statusCode).toBe(200);
      expect((await as('sup-1')).statusCode).toBe(200);
      problemOf(await as('tel-1', '/v1/scenarios', 'GET'), 403);
      expect((await as('op-1', '/v1/scenarios', 'GET')).statusCode).toBe(200);
    } finally {
      await secured.close();
    }
  });
});

describe('GET /v1/scenarios', () => {
  it('lists every shipped scenario file with its YAML, and each passes through POST /v1/simulate', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/scenarios' });
    expect(res.statusCode).toBe(200);
    const { scenarios } = res.json() as { scenarios: { file: string; name: string; yaml: string }[] };
    const files = await scenarioFiles([SHIPPED_DIR]);
    expect(scenarios.map((s) => s.file)).toEqual(files.map((f) => f.slice(SHIPPED_DIR.length)));
    for (const s of scenarios) {
      expect(s.yaml).toBe(await readFile(join(SHIPPED_DIR, s.file), 'utf8'));
      const t = await simulate({ scenario: s.yaml });
      expect(t.name).toBe(s.name);
      expect(
        t.steps.filter((step) => step.failure !== null).map((step) => `${step.step}: ${step.failure}`),
        s.file,
      ).toEqual([]);
      expect(t.passed, s.file).toBe(true);
    }
  });

  it('an installation without the scenarios directory lists none instead of failing to start', async () => {
    const bare = Fastify({ logger: false });
    await bare.register(scenarioRoutes, { prefix: '/v1', dir: join(SHIPPED_DIR, 'no-such-dir') });
    const res = await bare.inject({ method: 'GET', url: '/v1/scenarios' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ scenarios: [] });
    await bare.close();
  });
});
