import { describe, expect, it } from 'vitest';
import { CALL_EVENT_TYPES, sampleEvent } from '../../machines/call.events.js';
import { createCallRuntime } from '../../machines/call.runtime.js';
import { HOLD_TIMER_EVENT } from './helpers.js';

describe('an ended call is final', () => {
  const runtime = createCallRuntime();
  const ended = runtime.apply(runtime.start({}).snapshot, { type: 'call.hangup', by: 'customer' }).snapshot;

  it.each([...CALL_EVENT_TYPES, HOLD_TIMER_EVENT.type])('%s neither changes it nor asks for anything', (type) => {
    const event =
      type === HOLD_TIMER_EVENT.type ? HOLD_TIMER_EVENT : sampleEvent(type as (typeof CALL_EVENT_TYPES)[number]);
    expect(runtime.allows(ended, event)).toBe(false);
    const step = runtime.apply(ended, event);
    expect(step.snapshot).toBe(ended);
    expect(step.snapshot.context.endReason).toBe('hangup');
    expect(step.snapshot.context.customer).toBeNull();
    expect([...step.prompts, ...step.effects, ...step.timers]).toEqual([]);
  });
});
