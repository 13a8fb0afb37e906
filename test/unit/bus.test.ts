/** Fan-out of committed changes to stream subscribers, per call (src/calls/bus.ts). */
import { describe, expect, it } from 'vitest';
import { ChangeBus } from '../../src/calls/bus.js';
import type { CallView } from '../../src/calls/view.js';

const view = (callId: string, version: number) => ({ callId, version }) as CallView;

describe('ChangeBus', () => {
  it("delivers a change to every subscriber of that call, in publish order, and to no other call's", () => {
    const bus = new ChangeBus();
    const first: number[] = [];
    const second: number[] = [];
    const other: number[] = [];
    bus.subscribe('c1', (v) => first.push(v.version));
    bus.subscribe('c1', (v) => second.push(v.version));
    bus.subscribe('c2', (v) => other.push(v.version));
    bus.publish(view('c1', 1));
    bus.publish(view('c1', 2));
    bus.publish(view('c3', 9)); // nobody listens: nothing happens
    expect(first).toEqual([1, 2]);
    expect(second).toEqual([1, 2]);
    expect(other).toEqual([]);
  });

  it('stops delivering to an unsubscribed listener, and forgets a call with no subscribers left', () => {
    const bus = new ChangeBus();
    const seen: number[] = [];
    const stay: number[] = [];
    const unsubscribe = bus.subscribe('c1', (v) => seen.push(v.version));
    const unsubscribeStay = bus.subscribe('c1', (v) => stay.push(v.version));
    expect(bus.hasSubscribers('c1')).toBe(true);
    expect(bus.subscriberCount).toBe(2);
    bus.publish(view('c1', 1));
    unsubscribe();
    bus.publish(view('c1', 2));
    expect(seen).toEqual([1]);
    expect(stay).toEqual([1, 2]);
    expect(bus.subscriberCount).toBe(1);
    unsubscribeStay();
    expect(bus.hasSubscribers('c1')).toBe(false);
    expect(bus.subscriberCount).toBe(0);
  });

  it('an unsubscribe called again, after a new subscriber came, does not drop the new one', () => {
    const bus = new ChangeBus();
    const unsubscribeOld = bus.subscribe('c1', () => {});
    unsubscribeOld();
    const seen: number[] = [];
    bus.subscribe('c1', (v) => seen.push(v.version));
    unsubscribeOld(); // a stream's close handler running twice
    expect(bus.hasSubscribers('c1')).toBe(true);
    bus.publish(view('c1', 5));
    expect(seen).toEqual([5]);
  });

  it('counts subscribers over all calls', () => {
    const bus = new ChangeBus();
    bus.subscribe('a', () => {});
    bus.subscribe('a', () => {});
    bus.subscribe('b', () => {});
    expect(bus.subscriberCount).toBe(3);
  });
});
