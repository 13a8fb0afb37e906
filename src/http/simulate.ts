/**
 * POST /v1/simulate: scenario steps on a throwaway call, run by the in-process scenario runner
 * on the service's own statechart and catalogues. Nothing is stored, no timer is armed for
 * real (a `wait` fires the pending check at once), no webhook or escalation goes out.
 *
 * Steps that can never run (an unknown event, data its event does not take, a malformed step
 * or scenario file) are a 400 naming the step before anything runs. A step that is fine but
 * cannot run here (an event not allowed now, a wait with no check pending) is part of the
 * answer: the transcript says so at that step, and the steps after it are `not-run`.
 */

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Static } from '@sinclair/typebox';
import { createCallRuntime } from '../../machines/call.runtime.js';
import { InvalidBody, ScriptVersionNotFound } from '../errors.js';
import type { Scenario } from '../scenarios/format.js';
import { inProcessDriver } from '../scenarios/in-process.js';
import { checkSteps, type LoadedScenario, parseScenario, ScenarioFileError } from '../scenarios/load.js';
import { runScenario, type ScenarioResult } from '../scenarios/run.js';
import { scriptProblems } from '../scripts/validate.js';
import { problems } from './schemas.js';
import { SimulateBody, Transcript } from './simulate.schema.js';

/** What to run: a scenario file's text, or the body's own steps (checked with the file's rules). */
function scenarioOf(body: Static<typeof SimulateBody>): LoadedScenario {
  if (body.scenario !== undefined) {
    if (body.steps !== undefined || body.customer !== undefined || body.locale !== undefined) {
      throw invalid([
        { path: '/scenario', message: 'comes alone: customer, locale and steps are read from the scenario file' },
      ]);
    }
    try {
      return parseScenario(body.scenario, 'scenario');
    } catch (error) {
      if (!(error instanceof ScenarioFileError)) throw error;
      throw invalid(
        error.problems.map((p) => ({
          path: '/scenario',
          message: `line ${p.line}: ${p.where ? `${p.where}: ` : ''}${p.message}`,
        })),
      );
    }
  }
  if (body.steps === undefined) throw invalid([{ path: '', message: 'needs "steps" or "scenario"' }]);
  const steps = body.steps;
  const stepProblems = checkSteps(steps);
  if (stepProblems.length > 0) {
    throw invalid(
      stepProblems.map((p) => {
        const step = steps[p.index];
        const label = step?.event ?? (step?.wait ? `wait ${step.wait}` : 'no event');
        return {
          path: `/${p.where.replace(/\[(\d+)\]/g, '.$1').replace(/\./g, '/')}`,
          message: `${p.message} (step ${p.index + 1}, ${label})`,
        };
      }),
    );
  }
  const scenario = { name: 'simulation', customer: body.customer, locale: body.locale, steps } as Scenario;
  return { file: 'request', scenario, stepLines: steps.map(() => null) };
}

/** A 400 whose `errors` name each field (body.steps.2.data.topic) and whose detail lists them. */
function invalid(issues: { path: string; message: string }[]) {
  const error = new InvalidBody(issues.map((i) => i.message).join('; '));
  return Object.assign(error, {
    validation: issues.map((i) => ({ instancePath: i.path, message: i.message })),
    validationContext: 'body',
  });
}

/** `named`: the run came from a scenario file, whose name the transcript repeats. */
function transcriptOf(result: ScenarioResult, named: boolean): Transcript {
  if (!result.start) throw new Error(result.error ?? 'the simulated call did not start');
  return {
    name: named ? result.name : null,
    passed: result.passed,
    completed: result.steps.every((s) => s.outcome.kind !== 'not-run'),
    start: result.start,
    steps: result.steps.map((s) => {
      const outcome = s.outcome;
      const call = outcome.kind === 'applied' || outcome.kind === 'refused' ? outcome.observation : {};
      return {
        step: s.index + 1,
        line: s.line,
        ...('wait' in s.step ? { wait: s.step.wait } : { event: s.step.event }),
        outcome: outcome.kind,
        detail: outcome.kind === 'refused' || outcome.kind === 'error' ? outcome.detail : null,
        ...call,
        ...(s.step.expect && outcome.kind !== 'not-run'
          ? { expect: { passed: s.failure === null, mismatches: s.mismatches } }
          : {}),
        failure: s.failure,
      };
    }),
  };
}

const simulateRoutes: FastifyPluginAsyncTypebox = async (app) => {
  /** The runtime and catalogues to run on: a draft's, a published version's, or the current one's. */
  const scriptOf = async (body: Static<typeof SimulateBody>) => {
    const { scripts } = app;
    if (body.draft !== undefined) {
      if (body.scriptVersion !== undefined)
        throw invalid([{ path: '/scriptVersion', message: 'comes without a draft: run one or the other' }]);
      const issues = scriptProblems(body.draft);
      if (issues.length > 0)
        throw invalid(issues.map((i) => ({ path: `/draft/${i.path.join('/')}`, message: i.message })));
      const limits = scripts.limitsOf({ catalogues: body.draft.catalogues, limits: body.draft.limits ?? {} });
      return { runtime: createCallRuntime(limits), catalogues: body.draft.catalogues };
    }
    const wanted = body.scriptVersion ?? scripts.currentVersion();
    const version = await scripts.find(wanted);
    if (!version) throw new ScriptVersionNotFound(wanted, scripts.currentVersion());
    return { runtime: scripts.runtimeOf(wanted), catalogues: scripts.cataloguesOf(wanted) };
  };

  app.post(
    '/simulate',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'Run scenario steps on a throwaway call',
        description:
          'The steps (or a scenario file) run on the statechart in-process with a simulated clock; nothing is stored. The answer is the transcript, step by step, with each expectation’s result. A step that cannot be valid is a 400 naming it; one that is not allowed when it comes is a `refused` or `error` step of the transcript (docs/scenarios.md).',
        body: SimulateBody,
        response: { 200: Transcript, ...problems(400, 401, 403, 404, 413, 415) },
      },
    },
    async (request) => {
      const loaded = scenarioOf(request.body);
      const result = await runScenario(loaded, inProcessDriver(await scriptOf(request.body)));
      return transcriptOf(result, request.body.scenario !== undefined);
    },
  );
};

export default simulateRoutes;
