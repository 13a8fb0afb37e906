/** Fan-out to a call's stream subscribers (src/calls/bus.ts): per call, in order, unsubscribe-safe. */
import { describe, expect, it } from 'vitest';
import { type BusMessage, ChangeBus } from '../../src/calls/bus.js';
import type { CallView } from '../../src/calls/view.js';

const view = (callId: string, version: number) => ({ callId, version }) as CallView;

/** A listener that writes down what it got: `v<version>` for a view, `r<version>`, `note:<event>`. */
function recorder() {
  const seen: string[] = [];
  const listener = (message: BusMessage) => {
    if (message.kind === 'view') seen.push(`v${message.view.version}`);
    else if (message.kind === 'version') seen.push(`r${message.version}`);
    else seen.push(`note:${message.event}`);
  };
  return { seen, listener };
}

describe('ChangeBus', () => {
  it("delivers a change to every subscriber of that call, in publish order, and to no other call's", () => {
    const bus = new ChangeBus();
    const first = recorder();
    const second = recorder();
    const other = recorder();
    bus.subscribe('c1', first.listener);
    bus.subscribe('c1', second.listener);
    bus.subscribe('c2', other.listener);
    bus.publish(view('c1', 1));
    bus.publish(view('c1', 2));
    bus.publish(view('c3', 9)); // nobody listens: nothing happens
    expect(first.seen).toEqual(['v1', 'v2']);
    expect(second.seen).toEqual(['v1', 'v2']);
    expect(other.seen).toEqual([]);
  });

  it("sends other processes' versions and passing notes to that call's subscribers, in order with views", () => {
    const bus = new ChangeBus();
    const c1 = recorder();
    const c2 = recorder();
    bus.subscribe('c1', c1.listener);
    bus.subscribe('c2', c2.listener);
    bus.send('c1', { kind: 'version', version: 3 });
    bus.publish(view('c1', 4));
    bus.send('c1', { kind: 'note', event: 'suggestion', data: {} });
    bus.send('c2', { kind: 'version', version: 7 });
    expect(c1.seen).toEqual(['r3', 'v4', 'note:suggestion']);
    expect(c2.seen).toEqual(['r7']);
  });

  it('stops delivering to an unsubscribed listener, and forgets a call with no subscribers left', () => {
    const bus = new ChangeBus();
    const gone = recorder();
    const stay = recorder();
    const unsubscribe = bus.subscribe('c1', gone.listener);
    const unsubscribeStay = bus.subscribe('c1', stay.listener);
    expect(bus.hasSubscribers('c1')).toBe(true);
    expect(bus.subscriberCount).toBe(2);
    bus.publish(view('c1', 1));
    unsubscribe();
    bus.publish(view('c1', 2));
    expect(gone.seen).toEqual(['v1']);
    expect(stay.seen).toEqual(['v1', 'v2']);
    expect(bus.subscriberCount).toBe(1);
    unsubscribeStay();
    expect(bus.hasSubscribers('c1')).toBe(false);
    expect(bus.subscriberCount).toBe(0);
  });

  it('an unsubscribe called again, after a new subscriber came, does not drop the new one', () => {
    const bus = new ChangeBus();
    const unsubscribeOld = bus.subscribe('c1', () => {});
    unsubscribeOld();
    const fresh = recorder();
    bus.subscribe('c1', fresh.listener);
    unsubscribeOld(); // a stream's close handler running twice
    expect(bus.hasSubscribers('c1')).toBe(true);
    bus.publish(view('c1', 5));
    expect(fresh.seen).toEqual(['v5']);
  });

  it('counts subscribers over all calls', () => {
    const bus = new ChangeBus();
    bus.subscribe('a', () => {});
    bus.subscribe('a', () => {});
    bus.subscribe('b', () => {});
    expect(bus.subscriberCount).toBe(3);
  });
});
