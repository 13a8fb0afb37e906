/**
 * Cached calls share their state value, active nodes and empty parts (machines/call.runtime.ts,
 * compact): what makes a cached call cost its context alone. The equivalence with xstate's own
 * transition() is held by runtime-equivalence.test.ts; this holds the sharing itself.
 */
import { describe, expect, it } from 'vitest';
import { createCallRuntime } from '../../machines/call.runtime.js';

describe('compact snapshots', () => {
  const runtime = createCallRuntime();

  it('two calls in the same state share one frozen state value and one active-node list', () => {
    const a = runtime.apply(runtime.start().snapshot, { type: 'customer.location-question' }).snapshot;
    const b = runtime.apply(runtime.start().snapshot, { type: 'customer.location-question' }).snapshot;
    expect(a).not.toBe(b);
    expect(a.value).toBe(b.value);
    expect(a._nodes).toBe(b._nodes);
    expect(Object.isFrozen(a.value)).toBe(true);
    expect(a.tags).toBe(b.tags);
    expect(a.historyValue).toBe(b.historyValue);
  });

  it("a restored call shares them too, and contexts stay each call's own", () => {
    const live = runtime.apply(runtime.start().snapshot, { type: 'customer.location-question' }).snapshot;
    const restored = runtime.restore(JSON.parse(JSON.stringify(runtime.persist(live))));
    expect(restored.value).toBe(live.value);
    const named = runtime.apply(live, { type: 'customer.identified', firstName: 'Анна' }).snapshot;
    expect(named.context.customer).toEqual({ firstName: 'Анна' });
    expect(live.context.customer).toBeNull();
  });

  it('a step from a shared value still moves on (nothing xstate writes is frozen)', () => {
    let snapshot = runtime.start().snapshot;
    for (const type of ['call.hold', 'call.unhold', 'customer.repeat-request', 'answer.given', 'call.hangup'] as const)
      snapshot = runtime.apply(snapshot, { type }).snapshot;
    expect(snapshot.status).toBe('done');
  });
});
