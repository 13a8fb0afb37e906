/** One call's work at a time, in order (src/calls/keyed-queue.ts); other calls in parallel. */
import { describe, expect, it } from 'vitest';
import { KeyedQueue } from '../../src/calls/keyed-queue.js';

/** A promise the test settles by hand. */
function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('KeyedQueue', () => {
  it('runs the work of one key one at a time, in submission order', async () => {
    const queue = new KeyedQueue();
    const log: string[] = [];
    const gates = [deferred(), deferred(), deferred()];
    const results = gates.map((gate, i) =>
      queue.run('call-1', async () => {
        log.push(`start ${i}`);
        await gate.promise;
        log.push(`end ${i}`);
        return i;
      }),
    );
    await turn();
    expect(log).toEqual(['start 0']);
    gates[1]!.resolve(); // the second may not start before the first ends, even if it could finish
    await turn();
    expect(log).toEqual(['start 0']);
    gates[0]!.resolve();
    await turn();
    expect(log).toEqual(['start 0', 'end 0', 'start 1', 'end 1', 'start 2']);
    gates[2]!.resolve();
    expect(await Promise.all(results)).toEqual([0, 1, 2]);
  });

  it('runs the work of different keys in parallel', async () => {
    const queue = new KeyedQueue();
    const gate = deferred();
    const running: string[] = [];
    const a = queue.run('a', async () => {
      running.push('a');
      await gate.promise;
    });
    const b = queue.run('b', async () => {
      running.push('b');
      await gate.promise;
    });
    await turn();
    expect(running).toEqual(['a', 'b']);
    gate.resolve();
    await Promise.all([a, b]);
  });

  it('gives a failure to its own caller only; the next work of the key still runs', async () => {
    const queue = new KeyedQueue();
    const failing = queue.run('k', async () => {
      throw new Error('commit failed');
    });
    const next = queue.run('k', async () => 'ran');
    await expect(failing).rejects.toThrow('commit failed');
    expect(await next).toBe('ran');
  });

  it('forgets a key once its work is done, so memory stays bounded by the calls in flight', async () => {
    const queue = new KeyedQueue();
    const tails = (queue as unknown as { tails: Map<string, unknown> }).tails;
    await Promise.all(['a', 'b', 'a'].map((key) => queue.run(key, async () => key)));
    await turn();
    expect([...tails.keys()]).toEqual([]);
  });

  it('idle waits for everything queued, also work queued while it waits, then forgets the keys', async () => {
    const queue = new KeyedQueue();
    const first = deferred();
    const second = deferred();
    const done: string[] = [];
    void queue.run('k', async () => {
      await first.promise;
      done.push('first');
      // Queued while idle() is already waiting.
      void queue.run('other', async () => {
        await second.promise;
        done.push('second');
      });
    });
    let idle = false;
    const waiting = queue.idle().then(() => {
      idle = true;
    });
    first.resolve();
    await turn();
    expect(done).toEqual(['first']);
    expect(idle).toBe(false);
    second.resolve();
    await waiting;
    expect(done).toEqual(['first', 'second']);
    // Nothing left behind: a second idle() has nothing to wait for.
    let again = false;
    void queue.idle().then(() => {
      again = true;
    });
    await turn();
    expect(again).toBe(true);
  });
});
