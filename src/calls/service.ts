/**
 * The one path every event takes, API, timer or transcript: load the call, compute the next
 * state with the pure machine, commit everything it changes in one transaction, then answer
 * and publish. What a change writes is computed in change.ts; what a client sees, in view.ts.
 */
import { randomUUID } from 'node:crypto';
import { type CallEventType, type CustomerName, toMachineEvent } from '../../machines/call.events.js';
import type { CallRuntime, CallSnapshot, Step } from '../../machines/call.runtime.js';
import { statePaths, timerName } from '../../machines/call.runtime.js';
import type { Locale } from '../../machines/catalogue.js';
import { CallEnded, CallExists, CallNotFound, EventNotAllowed, IdempotencyConflict } from '../errors.js';
import type {
  CallRecord,
  CallStatus,
  CallStore,
  Change,
  CommitOutcome,
  EventChange,
  EventSource,
  JobRow,
} from '../store/types.js';
import { ChangeBus } from './bus.js';
import { callStream, type StreamMessage } from './call-stream.js';
import { type AppliedEvent, eventChange, newCallRecord } from './change.js';
import { EventKeys } from './event-keys.js';
import { fingerprint } from './fingerprint.js';
import { GroupCommitter } from './group-commit.js';
import { KeyedQueue } from './keyed-queue.js';
import { Lru } from './lru.js';
import {
  buildView,
  type CallView,
  type Catalogues,
  type HistoryItem,
  historyItem,
  type ScriptSource,
  SHIPPED_SCRIPT,
  viewAt,
} from './view.js';

export interface CreateCallInput {
  callId: string;
  customer?: CustomerName;
  locale?: Locale;
  operatorId?: string;
}

export interface EventInput {
  type: CallEventType;
  id?: string;
  data?: Record<string, unknown>;
}

interface Loaded {
  record: CallRecord;
  snapshot: CallSnapshot;
  /** Idempotency keys used on the call, kept only for a private store (nobody else adds to
   *  them), so a new key costs no read. Null: ask the store every time. */
  eventIds: EventKeys | null;
}

/**
 * Another capability's part of a change, before it is committed: rows to write with it
 * (outbox messages, escalations) and jobs to schedule. It sees the view the change produces.
 * It may return what to do once the change is committed (tell local subscribers, count it);
 * a change that is refused or conflicts runs none of it.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: a contributor that returns nothing stays valid
export type ChangeContributor = (context: { change: Change; view: CallView }) => void | (() => void);

export interface ServiceHooks {
  /** A change was committed (any source): metrics, inspection. */
  onApplied?(info: { callId: string; type: string; source: EventSource; view: CallView; event: object }): void;
  /** A call was created by this process (the inspector registers its actor). */
  onCreated?(info: { callId: string; view: CallView }): void;
  /** A job was scheduled by a commit of this process (the job worker wakes for it). */
  onJobScheduled?(dueAt: number): void;
  onTimerFired?(latenessMs: number): void;
  onBatch?(size: number, seconds: number): void;
}

/** Idempotency keys kept in memory per cached call (a call has a few dozen events). */
const MAX_KEPT_EVENT_IDS = 64;

const MAX_ATTEMPTS = 8;
/**
 * On a shared store. A failed attempt means another process committed a change to this call, so
 * retrying always makes progress; but the process that just won computes its next queued event
 * from a warm cache, one read ahead of the losers, and can keep winning for as many events as it
 * has queued (24 events sent at once to three nodes needed more than 8 attempts).
 */
const MAX_ATTEMPTS_SHARED = 64;

/** What an attempt returns to be tried again (the call moved on, or a key was taken meanwhile). */
const AGAIN = Symbol('again');

export class CallService {
  readonly bus = new ChangeBus();
  private readonly queue = new KeyedQueue();
  private readonly cache: Lru<string, Loaded>;
  private readonly committer: GroupCommitter;
  private readonly contributors: ChangeContributor[] = [];
  private readonly now: () => number;
  private readonly hooks: ServiceHooks;
  private readonly script: ScriptSource;

  constructor(
    readonly store: CallStore,
    readonly runtime: CallRuntime,
    options: { cacheSize: number; now?: () => number; hooks?: ServiceHooks; script?: ScriptSource },
  ) {
    this.cache = new Lru(options.cacheSize);
    this.now = options.now ?? Date.now;
    this.hooks = options.hooks ?? {};
    this.script = options.script ?? SHIPPED_SCRIPT;
    this.committer = new GroupCommitter(store, (size, seconds) => this.hooks.onBatch?.(size, seconds));
  }

  /** Adds a capability's part to every change from now on (see ChangeContributor). */
  contribute(contributor: ChangeContributor): void {
    this.contributors.push(contributor);
  }

  async create(input: CreateCallInput): Promise<{ view: CallView; created: boolean }> {
    const createFingerprint = fingerprint({
      callId: input.callId,
      customer: input.customer ?? null,
      locale: input.locale ?? 'ru',
      // Only when given, so a first-release body keeps its fingerprint.
      ...(input.operatorId === undefined ? {} : { operatorId: input.operatorId }),
    });
    return this.attempts(input.callId, async (fresh) => {
      const existing = await this.load(input.callId, fresh);
      if (existing) {
        if (existing.record.createFingerprint !== createFingerprint) throw new CallExists(input.callId);
        return { view: this.viewOf(existing.record), created: false };
      }
      const scriptVersion = this.script.currentVersion();
      const runtime = this.runtimeOf(scriptVersion);
      const step = withEffectIds(runtime.start({ customer: input.customer ?? null }));
      const record = newCallRecord(
        {
          callId: input.callId,
          locale: input.locale ?? 'ru',
          operatorId: input.operatorId ?? null,
          scriptVersion,
          createFingerprint,
        },
        step,
        runtime,
        this.now(),
      );
      const change: Change = { kind: 'create', call: record };
      const { view, afterCommit } = this.prepare(change);
      // Created meanwhile by another process: the next attempt compares bodies against it.
      if ((await this.submit(change)) !== 'ok') return AGAIN;
      this.cache.set(input.callId, {
        record,
        snapshot: step.snapshot,
        eventIds: this.store.shared ? null : new EventKeys(),
      });
      this.scheduled(change);
      for (const run of afterCommit) observe(run);
      observe(() => this.hooks.onCreated?.({ callId: input.callId, view }));
      observe(() => this.bus.publish(view));
      return { view, created: true };
    });
  }

  async applyEvent(
    callId: string,
    input: EventInput,
    source: Exclude<EventSource, 'timer'> = 'api',
  ): Promise<{ view: CallView; replayed: boolean }> {
    const data = input.data ?? {};
    const eventFingerprint = input.id === undefined ? null : fingerprint({ type: input.type, data });
    return this.attempts(callId, async (fresh) => {
      // A refusal computed from a cached call must be confirmed by the store when other
      // processes share it; `fresh` does that on the second pass.
      const loaded = await this.load(callId, fresh);
      if (!loaded) throw new CallNotFound(callId);
      const runtime = this.runtimeOf(loaded.record.scriptVersion);

      // An idempotency key is looked up when it is known to be used, or on a second pass. A
      // new key costs no read: the store's unique (call, event id) index refuses a taken one
      // at commit, and the retry that follows finds the stored event and replays it.
      if (input.id !== undefined && (fresh || loaded.eventIds?.has(input.id))) {
        const previous = await this.store.findEvent(callId, input.id);
        if (previous) {
          if (previous.fingerprint !== eventFingerprint) throw new IdempotencyConflict(input.id);
          const view = viewAt(
            previous,
            loaded.record,
            runtime.allowedEventsOf(previous.snapshot),
            this.cataloguesOf(loaded.record),
          );
          return { view: { ...view, replayed: true }, replayed: true };
        }
      }
      const { record, snapshot } = loaded;
      const event = toMachineEvent(input.type, data);
      if (record.status === 'ended' || !runtime.allows(snapshot, event)) {
        // Before refusing, a second pass: it re-reads a shared store's call and looks up a key
        // that was not known (a replay of an accepted event is answered, not refused).
        const unknownKey = input.id !== undefined && loaded.eventIds === null;
        if (!fresh && (this.store.shared || unknownKey)) return AGAIN;
        if (record.status === 'ended') throw new CallEnded(callId);
        throw new EventNotAllowed(input.type, statePaths(snapshot), runtime.allowedEvents(snapshot));
      }
      const step = withEffectIds(runtime.apply(snapshot, event));
      const applied: AppliedEvent = {
        eventId: input.id ?? null,
        fingerprint: eventFingerprint,
        type: input.type,
        data,
        source,
      };
      const change = eventChange(record, step, applied, runtime, this.now());
      const { view, afterCommit } = this.prepare(change);
      if ((await this.submit(change)) !== 'ok') {
        this.cache.delete(callId); // moved on elsewhere, or the event id was taken: look again
        return AGAIN;
      }
      if (input.id !== undefined && loaded.eventIds) {
        loaded.eventIds.add(input.id);
        // Bounded memory per call: past the cap, keys are looked up in the store again.
        if (loaded.eventIds.size > MAX_KEPT_EVENT_IDS) loaded.eventIds = null;
      }
      this.committed(change, step, view, event, loaded.eventIds, afterCommit);
      return { view, replayed: false };
    });
  }

  /**
   * Delivers a due machine timer (a job whose task is the timer) through the same path as an
   * API event. It applies only if the call still has exactly this timer pending, and the commit
   * deletes the job row, so a timer fires once even when several processes claimed it.
   */
  async fireTimer(timer: JobRow): Promise<boolean> {
    const change = await this.applyFromJob(timer.callId, timer.event, timerName(timer.event.type), {
      admits: async (loaded) =>
        loaded.record.timers.some((t) => t.timerId === timer.timerId && t.dueAt === timer.dueAt),
      mark: (change) => {
        change.firedTimer = { timerId: timer.timerId, dueAt: timer.dueAt };
      },
    });
    if (change) observe(() => this.hooks.onTimerFired?.(change.history.at - timer.dueAt));
    return change !== null;
  }

  /**
   * Applies an event the service raises itself for a job, not a machine timer (the idle end,
   * SPEC §10), recorded as `type` from source `timer`, through the same path as every event.
   * `due` is asked in the call's queue of the call as loaded (again on a retry), so an event
   * committed first wins. False: not due, refused by the machine, ended or unknown.
   */
  async applyJobEvent(
    callId: string,
    event: { type: string },
    type: string,
    due: (record: CallRecord) => Promise<boolean>,
  ): Promise<boolean> {
    const change = await this.applyFromJob(callId, event, type, {
      admits: async (loaded, runtime) => runtime.allows(loaded.snapshot, event) && (await due(loaded.record)),
    });
    return change !== null;
  }

  /**
   * The one path of a job's event (a machine timer, the idle end): in the call's queue, on the
   * call as loaded (a shared store is re-read: another node may have moved it), applied when
   * `admits` says so, committed with source `timer`. Null: not applied.
   */
  private applyFromJob(
    callId: string,
    event: { type: string },
    type: string,
    how: {
      admits(loaded: Loaded, runtime: CallRuntime): Promise<boolean>;
      mark?(change: EventChange): void;
    },
  ): Promise<EventChange | null> {
    return this.attempts(
      callId,
      async (fresh) => {
        const loaded = await this.load(callId, this.store.shared || fresh);
        if (!loaded || loaded.record.status === 'ended') return null;
        const runtime = this.runtimeOf(loaded.record.scriptVersion);
        if (!(await how.admits(loaded, runtime))) return null;
        const step = withEffectIds(runtime.apply(loaded.snapshot, event));
        const applied: AppliedEvent = { eventId: null, fingerprint: null, type, data: {}, source: 'timer' };
        const change = eventChange(loaded.record, step, applied, runtime, this.now());
        how.mark?.(change);
        const { view, afterCommit } = this.prepare(change);
        if ((await this.submit(change)) !== 'ok') {
          this.cache.delete(callId);
          return AGAIN;
        }
        this.committed(change, step, view, event, loaded.eventIds, afterCommit);
        return change;
      },
      null,
    );
  }

  /**
   * Runs `work` in the call's queue (after its queued events, before later ones), then drops the
   * cached copy: a rewrite outside the machine (personal-data erasure) that no event computed
   * from the old copy may overwrite.
   */
  exclusive<T>(callId: string, work: () => Promise<T>): Promise<T> {
    return this.queue.run(callId, async () => {
      try {
        return await work();
      } finally {
        this.cache.delete(callId);
      }
    });
  }

  async getView(callId: string): Promise<CallView> {
    return this.viewOf(await this.requireCall(callId));
  }

  async list(query: { status?: CallStatus; operatorId?: string; limit: number; cursor?: string }) {
    const records = await this.store.listCalls({ ...query, limit: query.limit + 1 });
    const page = records.slice(0, query.limit);
    const last = page.at(-1);
    return {
      calls: page.map((record) => this.viewOf(record)),
      nextCursor: records.length > query.limit && last ? last.callId : null,
    };
  }

  async history(callId: string): Promise<HistoryItem[]> {
    const record = await this.requireCall(callId);
    const catalogues = this.cataloguesOf(record);
    return (await this.store.history(callId)).map((entry) => historyItem(entry, record.locale, catalogues));
  }

  /** The call as it stood after each change past `version`, oldest first (stream catch-up). */
  async viewsAfter(callId: string, version: number): Promise<CallView[]> {
    const record = await this.requireCall(callId);
    const catalogues = this.cataloguesOf(record);
    const runtime = this.runtimeOf(record.scriptVersion);
    return (await this.store.history(callId, version)).map((entry) =>
      viewAt(entry, record, runtime.allowedEventsOf(entry.snapshot), catalogues),
    );
  }

  /** The call's changes after `afterVersion` (null: its current view first), then live ones. */
  stream(callId: string, afterVersion: number | null, signal: AbortSignal): AsyncGenerator<StreamMessage> {
    return callStream(this, callId, afterVersion, signal);
  }

  /** Another process committed a change: forget our copy, tell local subscribers. */
  remoteChange(callId: string, version: number): void {
    const cached = this.cache.peek(callId);
    if (cached && cached.record.version < version) this.cache.delete(callId);
    this.bus.send(callId, { kind: 'version', version });
  }

  /** Drops the cached copy of a call rewritten outside the event path (erasure). */
  forget(callId: string): void {
    this.cache.delete(callId);
  }

  async requireCall(callId: string): Promise<CallRecord> {
    const loaded = await this.load(callId, this.store.shared);
    if (!loaded) throw new CallNotFound(callId);
    return loaded.record;
  }

  /** The catalogues a call's prompts render from: those of the script version it started with. */
  cataloguesOf(record: Pick<CallRecord, 'scriptVersion'>): Catalogues {
    return this.script.cataloguesOf(record.scriptVersion);
  }

  /** Waits for queued events to finish and for their commits to be written. */
  async drain(): Promise<void> {
    await this.queue.idle();
    await this.committer.drain();
  }

  get cachedCalls(): number {
    return this.cache.size;
  }

  /**
   * Runs one call's work in its queue, again while it asks to (`AGAIN`): the first attempt may
   * use the cache, every later one reads the store (`fresh`).
   */
  private attempts<T>(
    callId: string,
    attempt: (fresh: boolean) => Promise<T | typeof AGAIN>,
    onContention?: T,
  ): Promise<T> {
    const max = this.store.shared ? MAX_ATTEMPTS_SHARED : MAX_ATTEMPTS;
    return this.queue.run(callId, async () => {
      for (let n = 0; n < max; n++) {
        const result = await attempt(n > 0);
        if (result !== AGAIN) return result;
      }
      if (onContention !== undefined) return onContention;
      throw new Error(`call ${callId}: too much contention`);
    });
  }

  /** The view a change produces, every capability's part of the change, and what they run once it is committed. */
  private prepare(change: Change): { view: CallView; afterCommit: (() => void)[] } {
    const view = this.viewOf(change.call);
    const afterCommit: (() => void)[] = [];
    for (const contribute of this.contributors) {
      const after = contribute({ change, view });
      if (after) afterCommit.push(after);
    }
    return { view, afterCommit };
  }

  /**
   * A commit that fails may still have been written (the SQLite writer thread died after COMMIT,
   * a PostgreSQL connection dropped before the answer): the cached call is then no longer known
   * to be the stored one, and is dropped so the next use reads it again.
   */
  private async submit(change: Change): Promise<CommitOutcome> {
    try {
      return await this.committer.submit(change);
    } catch (error) {
      this.cache.delete(change.call.callId);
      throw error;
    }
  }

  private async load(callId: string, fresh: boolean): Promise<Loaded | null> {
    if (!fresh) {
      const cached = this.cache.get(callId);
      if (cached) return cached;
    }
    const record = await this.store.getCall(callId);
    if (!record) {
      this.cache.delete(callId);
      return null;
    }
    // A version published on another node a moment ago is read before the call is used.
    await this.script.ensure?.(record.scriptVersion);
    const ids = this.store.shared ? null : await this.store.eventIds(callId);
    const eventIds = ids && ids.length <= MAX_KEPT_EVENT_IDS ? EventKeys.of(ids) : null;
    const loaded = { record, snapshot: this.runtimeOf(record.scriptVersion).restore(record.snapshot), eventIds };
    this.cache.set(callId, loaded);
    return loaded;
  }

  private committed(
    change: EventChange,
    step: Step,
    view: CallView,
    event: object,
    eventIds: EventKeys | null,
    afterCommit: (() => void)[],
  ) {
    this.cache.set(change.call.callId, { record: change.call, snapshot: step.snapshot, eventIds });
    this.scheduled(change);
    for (const run of afterCommit) observe(run);
    // The change is durable now: an observer that throws must not turn it into an error.
    observe(() =>
      this.hooks.onApplied?.({
        callId: change.call.callId,
        type: change.history.type,
        source: change.history.source,
        view,
        event,
      }),
    );
    observe(() => this.bus.publish(view));
  }

  private scheduled(change: Change): void {
    observe(() => {
      if (change.kind === 'event') for (const timer of change.armTimers) this.hooks.onJobScheduled?.(timer.dueAt);
      for (const job of change.ensureJobs ?? []) this.hooks.onJobScheduled?.(job.dueAt);
    });
  }

  /** The runtime of a script version's limits: a call runs on the version it started with. */
  private runtimeOf(scriptVersion: number): CallRuntime {
    return this.script.runtimeOf?.(scriptVersion) ?? this.runtime;
  }

  private viewOf(record: CallRecord): CallView {
    return buildView(
      record,
      this.runtimeOf(record.scriptVersion).allowedEventsOf(record.snapshot),
      this.cataloguesOf(record),
    );
  }
}

/** Each escalation of a step gets its id now, so the call's actions and its escalation row agree. */
function withEffectIds(step: Step): Step {
  if (step.effects.length === 0) return step;
  return { ...step, effects: step.effects.map((effect) => ({ ...effect, id: effect.id ?? randomUUID() })) };
}

/** Runs an observer of a committed change; its failure is reported, never propagated. */
function observe(run: () => void): void {
  try {
    run();
  } catch (error) {
    process.emitWarning(`callflow: an observer of a committed change failed: ${(error as Error).message}`);
  }
}
