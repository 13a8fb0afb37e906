/**
 * Group commit (src/calls/group-commit.ts) against a store that records its batches and
 * answers when the test says: one batch per event-loop turn, each submitter answered with its
 * own outcome only after the batch committed, a failure given to that batch alone, the batch
 * size and the store's limit of commits in flight kept.
 */
import { describe, expect, it } from 'vitest';
import { GroupCommitter } from '../../src/calls/group-commit.js';
import type { CallStore, Change, CommitOutcome } from '../../src/store/types.js';

/** A change the fake store can tell apart by its call id. */
const change = (callId: string) => ({ kind: 'create', call: { callId } }) as unknown as Change;
const idsOf = (batch: Change[]) => batch.map((c) => c.call.callId);
const turn = () => new Promise((resolve) => setImmediate(resolve));

interface PendingCommit {
  changes: Change[];
  answer(outcomes?: CommitOutcome[]): void;
  fail(error: Error): void;
}

function fakeStore(maxConcurrentCommits = 1) {
  const pending: PendingCommit[] = [];
  const batches: string[][] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const store = {
    maxConcurrentCommits,
    commit(changes: Change[]) {
      batches.push(idsOf(changes));
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      return new Promise<CommitOutcome[]>((resolve, reject) => {
        pending.push({
          changes,
          answer: (outcomes = changes.map(() => 'ok')) => {
            inFlight--;
            resolve(outcomes);
          },
          fail: (error) => {
            inFlight--;
            reject(error);
          },
        });
      });
    },
  } as unknown as CallStore;
  return {
    store,
    pending,
    batches,
    get maxInFlight() {
      return maxInFlight;
    },
  };
}

/** Tracks whether a promise has settled yet. */
function watch<T>(promise: Promise<T>) {
  const state = { settled: false, value: undefined as T | undefined, error: undefined as unknown };
  promise.then(
    (value) => {
      state.settled = true;
      state.value = value;
    },
    (error) => {
      state.settled = true;
      state.error = error;
    },
  );
  return state;
}

describe('GroupCommitter', () => {
  it('sends every change submitted in one turn as one batch, and the next turn as another', async () => {
    const fake = fakeStore(4);
    const committer = new GroupCommitter(fake.store);
    const first = ['a', 'b', 'c'].map((id) => committer.submit(change(id)));
    await turn();
    expect(fake.batches).toEqual([['a', 'b', 'c']]);
    const later = committer.submit(change('d'));
    await turn();
    expect(fake.batches).toEqual([['a', 'b', 'c'], ['d']]);
    for (const p of fake.pending) p.answer();
    expect(await Promise.all([...first, later])).toEqual(['ok', 'ok', 'ok', 'ok']);
  });

  it('answers each submitter only after the batch committed, each with its own outcome', async () => {
    const fake = fakeStore();
    const committer = new GroupCommitter(fake.store);
    const answers = ['a', 'b', 'c'].map((id) => watch(committer.submit(change(id))));
    await turn();
    await turn();
    expect(answers.map((a) => a.settled)).toEqual([false, false, false]);
    fake.pending[0]!.answer(['ok', 'conflict', 'ok']);
    await turn();
    expect(answers.map((a) => a.value)).toEqual(['ok', 'conflict', 'ok']);
  });

  it('treats an outcome the store did not give as a conflict, never as committed', async () => {
    const fake = fakeStore();
    const committer = new GroupCommitter(fake.store);
    const answers = [committer.submit(change('a')), committer.submit(change('b'))];
    await turn();
    fake.pending[0]!.answer(['ok']);
    expect(await Promise.all(answers)).toEqual(['ok', 'conflict']);
  });

  it("gives a failed commit's error to every submitter of that batch, and goes on with the next", async () => {
    const fake = fakeStore();
    const committer = new GroupCommitter(fake.store);
    const doomed = [committer.submit(change('a')), committer.submit(change('b'))];
    await turn();
    fake.pending[0]!.fail(new Error('SQLITE_FULL'));
    for (const p of doomed) await expect(p).rejects.toThrow('SQLITE_FULL');
    const next = committer.submit(change('c'));
    await turn();
    expect(fake.batches).toEqual([['a', 'b'], ['c']]);
    fake.pending[1]!.answer();
    expect(await next).toBe('ok');
  });

  it('keeps at most maxBatch changes in a batch; the rest follow in later batches, in order', async () => {
    const fake = fakeStore(4);
    const committer = new GroupCommitter(fake.store, () => {}, 2);
    const all = ['a', 'b', 'c', 'd', 'e'].map((id) => committer.submit(change(id)));
    // Answer each batch as it comes (today the rest of a full queue waits for the commit before it).
    for (let i = 0; i < 10 && fake.batches.flat().length < 5; i++) {
      await turn();
      for (const p of fake.pending.splice(0)) p.answer();
    }
    expect(fake.batches).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    expect(await Promise.all(all)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
  });

  it("never has more commits in flight than the store's maxConcurrentCommits; what waits goes in one batch", async () => {
    const fake = fakeStore(2);
    const committer = new GroupCommitter(fake.store);
    const answers: Promise<CommitOutcome>[] = [];
    for (const id of ['a', 'b', 'c', 'd', 'e']) {
      answers.push(committer.submit(change(id)));
      await turn();
    }
    expect(fake.batches).toEqual([['a'], ['b']]);
    fake.pending[0]!.answer();
    await turn();
    await turn();
    // c, d and e waited together for a free slot.
    expect(fake.batches).toEqual([['a'], ['b'], ['c', 'd', 'e']]);
    fake.pending[1]!.answer();
    fake.pending[2]!.answer();
    expect(await Promise.all(answers)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    expect(fake.maxInFlight).toBe(2);
  });

  it('tells its observer the size of each committed batch', async () => {
    const fake = fakeStore();
    const sizes: number[] = [];
    const committer = new GroupCommitter(fake.store, (size, seconds) => {
      expect(seconds).toBeGreaterThanOrEqual(0);
      sizes.push(size);
    });
    const answers = [committer.submit(change('a')), committer.submit(change('b'))];
    await turn();
    expect(sizes).toEqual([]);
    fake.pending[0]!.answer();
    await Promise.all(answers);
    expect(sizes).toEqual([2]);
  });

  it('drain resolves once everything submitted is written, not before', async () => {
    const fake = fakeStore();
    const committer = new GroupCommitter(fake.store);
    void committer.submit(change('a'));
    const drained = watch(committer.drain());
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(drained.settled).toBe(false);
    fake.pending[0]!.answer();
    await committer.drain();
    expect(drained.settled).toBe(true);
  });
});
