/** How a step's expectation is matched (docs/scenarios.md, "What a step can expect"). */
import { describe, expect, it } from 'vitest';
import { compare, type Observation, stateMatches } from '../../src/scenarios/expect.js';

const seen: Observation = {
  prompts: [
    { key: 'hold.check', text: 'Иван, пожалуйста, оставайтесь на линии.', instruction: null },
    { key: 'hold.start', text: 'a, b', instruction: null },
  ],
  state: ['conversation.answer.given', 'conversation.conduct.polite', 'conversation.dialogue.talking'],
  status: 'active',
  endReason: null,
  counters: { repeats: 2, connectionAttempts: 0, warnings: 1 },
  allowedEvents: ['call.hold', 'call.hangup', 'answer.given'],
  actions: [{ type: 'supervisor.escalation', topic: 't' }],
  skippedFields: ['phone', 'email'],
  timers: [{ name: 'hold.check', dueAt: '2026-01-01T00:00:00.000Z' }],
};

describe('matching an expectation', () => {
  it('an empty expectation matches anything', () => {
    expect(compare({}, seen)).toEqual([]);
  });

  it('prompts, texts and actions are exact lists, in order', () => {
    expect(compare({ prompts: ['hold.check', 'hold.start'] }, seen)).toEqual([]);
    expect(compare({ prompts: ['hold.start', 'hold.check'] }, seen)).toHaveLength(1);
    expect(compare({ prompts: ['hold.check'] }, seen)).toEqual([
      { field: 'prompts', expected: '[hold.check]', actual: '[hold.check, hold.start]' },
    ]);
    expect(compare({ prompts: [] }, seen)).toHaveLength(1);
    expect(compare({ texts: ['Иван, пожалуйста, оставайтесь на линии.', 'a, b'] }, seen)).toEqual([]);
    // Texts may hold commas: quoted in the report.
    expect(compare({ texts: ['a, b'] }, seen)[0]?.expected).toBe('["a, b"]');
    expect(compare({ actions: ['supervisor.escalation'] }, seen)).toEqual([]);
    expect(compare({ actions: [] }, seen)).toHaveLength(1);
  });

  it('allowedEvents, skippedFields and timers are exact sets, in any order', () => {
    expect(compare({ allowedEvents: ['answer.given', 'call.hold', 'call.hangup'] }, seen)).toEqual([]);
    expect(compare({ allowedEvents: ['answer.given', 'call.hold', 'customer.prank'] }, seen)).toEqual([
      {
        field: 'allowedEvents',
        expected: '[answer.given, call.hold, customer.prank]',
        actual: '[call.hold, call.hangup, answer.given] (missing customer.prank; extra call.hangup)',
      },
    ]);
    expect(compare({ allowedEvents: ['call.hold', 'call.hangup'] }, seen)).toHaveLength(1);
    expect(compare({ skippedFields: ['email', 'phone'] }, seen)).toEqual([]);
    expect(compare({ skippedFields: ['phone'] }, seen)).toHaveLength(1);
    expect(compare({ timers: ['hold.check'] }, seen)).toEqual([]);
    expect(compare({ timers: [] }, seen)).toHaveLength(1);
  });

  it('counters: only the listed ones', () => {
    expect(compare({ counters: { repeats: 2 } }, seen)).toEqual([]);
    expect(compare({ counters: { warnings: 1, connectionAttempts: 0 } }, seen)).toEqual([]);
    expect(compare({ counters: { repeats: 3, warnings: 1 } }, seen)).toEqual([
      { field: 'counters.repeats', expected: '3', actual: '2' },
    ]);
  });

  it('status and endReason are exact; endReason null means not ended', () => {
    expect(compare({ status: 'active', endReason: null }, seen)).toEqual([]);
    expect(compare({ status: 'ended' }, seen)).toEqual([{ field: 'status', expected: 'ended', actual: 'active' }]);
    expect(compare({ endReason: 'hangup' }, seen)).toEqual([
      { field: 'endReason', expected: 'hangup', actual: 'null' },
    ]);
  });

  it('state: each expected path is active, or a prefix of an active one at a dot', () => {
    const active = seen.state;
    expect(stateMatches('conversation', active)).toBe(true);
    expect(stateMatches('conversation.answer.given', active)).toBe(true);
    expect(stateMatches('conversation.answer', active)).toBe(true);
    expect(stateMatches(['conversation.dialogue.talking', 'conversation.conduct.polite'], active)).toBe(true);
    expect(stateMatches('conversation.ans', active)).toBe(false);
    expect(stateMatches(['conversation.dialogue.talking', 'conversation.conduct.warned'], active)).toBe(false);
    expect(stateMatches('hold', 'hold')).toBe(true);
    expect(stateMatches('hold', 'connection')).toBe(false);
    expect(compare({ state: 'hold' }, seen)).toHaveLength(1);
  });
});
