/** Scenario files: a file that is not valid YAML or does not fit the schema names its line. */
import { describe, expect, it } from 'vitest';
import { checkSteps, parseScenario, ScenarioFileError } from '../../src/scenarios/load.js';

function problemsOf(text: string) {
  try {
    parseScenario(text, 'flow.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(ScenarioFileError);
    return (error as ScenarioFileError).problems;
  }
  throw new Error('the file was accepted');
}

const VALID = `name: ok
steps:
  - event: answer.given
  - wait: hold.check
`;

describe('loading scenario files', () => {
  it('a valid file gives the scenario and the line of each step', () => {
    const loaded = parseScenario(
      `# a comment\nname: ok\ncustomer: { firstName: Иван }\nlocale: en\nsteps:\n  - event: call.hold\n\n  - wait: hold.check\n    expect: { prompts: [hold.check], counters: { repeats: 0 } }\n`,
      'flow.yaml',
    );
    expect(loaded.scenario).toEqual({
      name: 'ok',
      customer: { firstName: 'Иван' },
      locale: 'en',
      steps: [
        { event: 'call.hold' },
        { wait: 'hold.check', expect: { prompts: ['hold.check'], counters: { repeats: 0 } } },
      ],
    });
    expect(loaded.stepLines).toEqual([6, 8]);
    expect(parseScenario(VALID, 'x').stepLines).toEqual([3, 4]);
  });

  it.each([
    ['not YAML (bad indentation)', 'name: x\nsteps:\n  - event: answer.given\n   wait: hold.check\n', 4, /./],
    ['a key given twice', 'name: x\nname: y\nsteps:\n  - event: answer.given\n', 2, /unique|duplicate/i],
    ['an empty file', '', 1, /empty/],
    ['no steps', 'name: x\n', 1, /needs "steps"/],
    ['an empty step list', 'name: x\nsteps: []\n', 2, /fewer than 1/],
    [
      'an unknown top-level field',
      'name: x\nowner: qa\nsteps:\n  - event: answer.given\n',
      2,
      /owner.*not a known field/,
    ],
    [
      'an unknown event',
      'name: x\nsteps:\n  - event: answer.given\n  - event: customer.repeat\n',
      4,
      /"customer\.repeat" is not a known value; did you mean customer\.repeat-request/,
    ],
    [
      'a step that is neither kind',
      'name: x\nsteps:\n  - event: answer.given\n  - expect: { prompts: [] }\n',
      4,
      /needs "event" \(or "wait"\)/,
    ],
    ['a wait for an unknown timer', 'name: x\nsteps:\n  - wait: hold\n', 3, /"hold" must be one of: hold\.check/],
    [
      'data a wait step cannot have',
      'name: x\nsteps:\n  - wait: hold.check\n    data: {}\n',
      4,
      /steps\[0\]\.data: is not a known field/,
    ],
    [
      'event data missing its field',
      'name: x\nsteps:\n  - event: customer.unknown-topic\n    data: {}\n',
      4,
      /steps\[0\]\.data: needs "topic"/,
    ],
    [
      'event data with an unknown field',
      'name: x\nsteps:\n  - event: call.hold\n    data:\n      reason: x\n',
      5,
      /steps\[0\]\.data\.reason: is not a known field/,
    ],
    [
      'an event field of the wrong value',
      'name: x\nsteps:\n  - event: answer.given\n  - event: customer.contact-refused\n    data: { field: fax }\n',
      5,
      /steps\[1\]\.data\.field: "fax" must be one of: phone, email/,
    ],
    [
      'an unknown prompt key',
      'name: x\nsteps:\n  - event: call.hold\n    expect:\n      prompts: [hold.strat]\n',
      5,
      /steps\[0\]\.expect\.prompts\[0\]: "hold\.strat" is not a known value; did you mean hold\.start/,
    ],
    [
      'an unknown expectation',
      'name: x\nsteps:\n  - event: call.hold\n    expect:\n      prompt: [hold.start]\n',
      5,
      /expect\.prompt: is not a known field/,
    ],
    [
      'a counter that is not a number',
      'name: x\nsteps:\n  - event: call.hold\n    expect: { counters: { repeats: one } }\n',
      4,
      /counters\.repeats: must be integer/,
    ],
    [
      'a state that is neither a string nor a list',
      'name: x\nsteps:\n  - event: call.hold\n    expect:\n      state: 3\n',
      5,
      /expect\.state: must be string or array/,
    ],
    [
      'a customer without a first name',
      'name: x\ncustomer:\n  patronymic: Петрович\nsteps:\n  - event: call.hold\n',
      2,
      /customer: needs "firstName"/,
    ],
  ])('%s: an error naming the line', (_, text, line, message) => {
    const problems = problemsOf(text);
    expect(problems.length).toBeGreaterThan(0);
    const first = problems[0]!;
    expect(first.line, JSON.stringify(problems)).toBe(line);
    expect(`${first.where}: ${first.message}`).toMatch(message);
  });

  it('the error message names the file and the line of every problem, in line order', () => {
    const text = 'name: x\nsteps:\n  - event: nope\n  - event: call.hold\n    expect: { status: gone }\n';
    let message = '';
    try {
      parseScenario(text, 'scenarios/bad.yaml');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message.split('\n')).toEqual([
      expect.stringMatching(/^scenarios\/bad\.yaml:3: steps\[0\]\.event: "nope" is not a known value/),
      'scenarios/bad.yaml:5: steps[1].expect.status: "gone" must be one of: active, ended',
    ]);
  });

  it('aliases cannot blow a file up (a bounded alias count)', () => {
    const bomb = ['name: x', 'a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 8; i++)
      bomb.push(
        `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9)
          .fill(`*${String.fromCharCode(97 + i)}`)
          .join(', ')}]`,
      );
    bomb.push('steps:\n  - event: call.hold');
    expect(() => parseScenario(bomb.join('\n'), 'bomb.yaml')).toThrow();
  });

  it('steps from elsewhere (POST /v1/simulate) are checked by the same rules', () => {
    expect(checkSteps([{ event: 'call.hold' }, { wait: 'hold.check' }])).toEqual([]);
    expect(checkSteps([{ event: 'call.hold' }, { event: 'customer.unknown-topic', data: { topic: '' } }])).toEqual([
      { index: 1, where: 'steps[1].data.topic', message: 'must NOT have fewer than 1 characters' },
    ]);
  });
});
