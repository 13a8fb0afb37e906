/**
 * The console's keys are data (machines/shortcuts.json) served in GET /v1/machine: each names
 * an event of the vocabulary, one letter each, and the description lists every event once,
 * the keyed situations first in the file's order (the console's button order).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CALL_EVENT_TYPES } from '../../machines/call.events.js';
import { createCallMachine, DEFAULT_LIMITS } from '../../machines/call.machine.js';
import { describeMachine } from '../../machines/describe.js';

const FILE = JSON.parse(readFileSync(new URL('../../machines/shortcuts.json', import.meta.url), 'utf8')) as Record<
  string,
  unknown
>;

describe('console shortcuts (machines/shortcuts.json)', () => {
  it('binds events of the vocabulary to distinct single Latin letters', () => {
    const events = Object.keys(FILE);
    expect(events.length).toBeGreaterThan(0);
    for (const event of events) expect(CALL_EVENT_TYPES, event).toContain(event);
    const keys = Object.values(FILE);
    for (const key of keys) expect(key).toMatch(/^[a-z]$/);
    expect(new Set(keys).size, 'one event per key').toBe(keys.length);
  });

  it('reaches GET /v1/machine: every event once, with its key, keyed ones first in the file order', () => {
    const { events } = describeMachine(createCallMachine(), DEFAULT_LIMITS);
    expect(events.map((e) => e.type).sort()).toEqual([...CALL_EVENT_TYPES].sort());
    const keyed = Object.keys(FILE);
    expect(events.slice(0, keyed.length).map((e) => e.type)).toEqual(keyed);
    for (const event of events) expect(event.shortcut, event.type).toBe(FILE[event.type] ?? null);
    expect(events.find((e) => e.type === 'call.hangup')?.shortcut, 'hang-up is confirmed, never a key').toBeNull();
  });
});
