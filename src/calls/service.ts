/**
 * The one path every event takes, API or timer: load the call, compute the next state with
 * the pure machine, commit everything it changes in one transaction, then answer and publish.
 */
import { type CallEventType, type CustomerName, toMachineEvent } from '../../machines/call.events.js';
import type { CallRuntime, CallSnapshot, Step } from '../../machines/call.runtime.js';
import { pathsOfValue, statePaths, timerName } from '../../machines/call.runtime.js';
import type { Locale } from '../../machines/catalogue.js';
import { CallEnded, CallExists, CallNotFound, EventNotAllowed, IdempotencyConflict } from '../errors.js';
import { GroupCommitter } from '../store/group-commit.js';
import type {
  CallRecord,
  CallStatus,
  CallStore,
  Change,
  CommitOutcome,
  EventChange,
  EventSource,
  HistoryEntry,
  TimerRow,
} from '../store/types.js';
import { ChangeBus } from './bus.js';
import { fingerprint } from './fingerprint.js';
import { KeyedQueue } from './keyed-queue.js';
import { Lru } from './lru.js';
import { buildView, type CallView, contextOf, renderPrompts } from './view.js';

export interface CreateCallInput {
  callId: string;
  customer?: CustomerName;
  locale?: Locale;
}

export interface EventInput {
  type: CallEventType;
  id?: string;
  data?: Record<string, unknown>;
}

export interface HistoryItem {
  seq: number;
  id: string | null;
  type: string;
  data: Record<string, unknown>;
  source: EventSource;
  at: string;
  state: string | string[];
  prompts: CallView['prompts'];
  actions: CallView['actions'];
}

interface Loaded {
  record: CallRecord;
  snapshot: CallSnapshot;
  /** Idempotency keys used on the call, kept only for a private store (nobody else adds to
   *  them), so a new key costs no read. Null: ask the store every time. */
  eventIds: Set<string> | null;
}

export interface ServiceHooks {
  /** A change was committed (any source): metrics, inspection. */
  onApplied?(info: { callId: string; type: string; source: EventSource; view: CallView; event: object }): void;
  /** A call was created by this process (the inspector registers its actor). */
  onCreated?(info: { callId: string; view: CallView }): void;
  /** A timer was armed by a commit of this process. */
  onTimerArmed?(dueAt: number): void;
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

export class CallService {
  readonly bus = new ChangeBus();
  private readonly queue = new KeyedQueue();
  private readonly cache: Lru<string, Loaded>;
  private readonly committer: GroupCommitter;

  constructor(
    readonly store: CallStore,
    readonly runtime: CallRuntime,
    options: { cacheSize: number; now?: () => number; hooks?: ServiceHooks },
  ) {
    this.cache = new Lru(options.cacheSize);
    this.now = options.now ?? Date.now;
    this.hooks = options.hooks ?? {};
    this.committer = new GroupCommitter(store, (size, seconds) => this.hooks.onBatch?.(size, seconds));
  }

  private readonly now: () => number;
  private readonly hooks: ServiceHooks;

  private get maxAttempts(): number {
    return this.store.shared ? MAX_ATTEMPTS_SHARED : MAX_ATTEMPTS;
  }

  async create(input: CreateCallInput): Promise<{ view: CallView; created: boolean }> {
    const createFingerprint = fingerprint({
      callId: input.callId,
      customer: input.customer ?? null,
      locale: input.locale ?? 'ru',
    });
    return this.queue.run(input.callId, async () => {
      for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
        const existing = await this.load(input.callId, attempt > 0);
        if (existing) {
          if (existing.record.createFingerprint !== createFingerprint) throw new CallExists(input.callId);
          return { view: this.viewOf(existing.record), created: false };
        }
        const step = this.runtime.start({ customer: input.customer ?? null });
        const now = this.now();
        const record: CallRecord = {
          callId: input.callId,
          status: 'active',
          version: 0,
          locale: input.locale ?? 'ru',
          snapshot: this.runtime.persist(step.snapshot),
          prompts: step.prompts,
          actions: step.effects,
          timers: [],
          createFingerprint,
          createdAt: now,
          updatedAt: now,
        };
        if ((await this.submit({ kind: 'create', call: record })) === 'ok') {
          this.cache.set(input.callId, {
            record,
            snapshot: step.snapshot,
            eventIds: this.store.shared ? null : new Set(),
          });
          const view = this.viewOf(record);
          observe(() => this.hooks.onCreated?.({ callId: input.callId, view }));
          return { view, created: true };
        }
        // Created meanwhile by another process: compare bodies against what it stored.
      }
      throw new Error(`call ${input.callId}: too much contention`);
    });
  }

  async applyEvent(callId: string, input: EventInput): Promise<{ view: CallView; replayed: boolean }> {
    const data = input.data ?? {};
    const eventFingerprint = input.id === undefined ? null : fingerprint({ type: input.type, data });
    return this.queue.run(callId, async () => {
      for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
        // A refusal computed from a cached call must be confirmed by the store when other
        // processes share it; `fresh` does that on the second pass.
        const fresh = attempt > 0;
        const loaded = await this.load(callId, fresh);
        if (!loaded) throw new CallNotFound(callId);

        // An idempotency key is looked up when it is known to be used, or on a second pass. A
        // new key costs no read: the store's unique (call, event id) index refuses a taken one
        // at commit, and the retry that follows finds the stored event and replays it.
        if (input.id !== undefined && (fresh || loaded.eventIds?.has(input.id))) {
          const previous = await this.store.findEvent(callId, input.id);
          if (previous) {
            if (previous.fingerprint !== eventFingerprint) throw new IdempotencyConflict(input.id);
            return { view: { ...this.viewOf(previous, loaded.record.locale), replayed: true }, replayed: true };
          }
        }
        const { record, snapshot } = loaded;
        const event = toMachineEvent(input.type, data);
        if (record.status === 'ended' || !this.runtime.allows(snapshot, event)) {
          // Before refusing, a second pass: it re-reads a shared store's call and looks up a key
          // that was not known (a replay of an accepted event is answered, not refused).
          const unknownKey = input.id !== undefined && loaded.eventIds === null;
          if (!fresh && (this.store.shared || unknownKey)) continue;
          if (record.status === 'ended') throw new CallEnded(callId);
          throw new EventNotAllowed(input.type, statePaths(snapshot), this.runtime.allowedEvents(snapshot));
        }
        const step = this.runtime.apply(snapshot, event);
        const change = this.eventChange(record, step, {
          eventId: input.id ?? null,
          fingerprint: eventFingerprint,
          type: input.type,
          data,
          source: 'api',
        });
        if ((await this.submit(change)) === 'ok') {
          if (input.id !== undefined && loaded.eventIds) {
            loaded.eventIds.add(input.id);
            // Bounded memory per call: past the cap, keys are looked up in the store again.
            if (loaded.eventIds.size > MAX_KEPT_EVENT_IDS) loaded.eventIds = null;
          }
          return { view: this.committed(change, step, event, loaded.eventIds), replayed: false };
        }
        this.cache.delete(callId); // moved on elsewhere, or the event id was taken: look again
      }
      throw new Error(`call ${callId}: too much contention`);
    });
  }

  /**
   * Delivers a due timer through the same path as an API event. It applies only if the call
   * still has exactly this timer pending, and the commit deletes the timer row, so a timer
   * fires once even when several processes claimed it.
   */
  async fireTimer(timer: TimerRow): Promise<boolean> {
    return this.queue.run(timer.callId, async () => {
      for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
        // A private store: the cached call is the truth. A shared one: re-read, another node may have moved it.
        const loaded = await this.load(timer.callId, this.store.shared || attempt > 0);
        const pending = loaded?.record.timers.some((t) => t.timerId === timer.timerId && t.dueAt === timer.dueAt);
        if (!loaded || !pending || loaded.record.status === 'ended') return false;
        const step = this.runtime.apply(loaded.snapshot, timer.event);
        const change = this.eventChange(loaded.record, step, {
          eventId: null,
          fingerprint: null,
          type: timerName(timer.event.type),
          data: {},
          source: 'timer',
        });
        change.firedTimer = { timerId: timer.timerId, dueAt: timer.dueAt };
        if ((await this.submit(change)) === 'ok') {
          observe(() => this.hooks.onTimerFired?.(change.history.at - timer.dueAt));
          this.committed(change, step, timer.event, loaded.eventIds);
          return true;
        }
        this.cache.delete(timer.callId);
      }
      return false;
    });
  }

  async getView(callId: string): Promise<CallView> {
    const loaded = await this.load(callId, this.store.shared);
    if (!loaded) throw new CallNotFound(callId);
    return this.viewOf(loaded.record);
  }

  async list(query: { status?: CallStatus; limit: number; cursor?: string }) {
    const records = await this.store.listCalls({ ...query, limit: query.limit + 1 });
    const page = records.slice(0, query.limit);
    const last = page.at(-1);
    return {
      calls: page.map((record) => this.viewOf(record)),
      nextCursor: records.length > query.limit && last ? last.callId : null,
    };
  }

  async history(callId: string): Promise<HistoryItem[]> {
    const { locale } = await this.requireCall(callId);
    return (await this.store.history(callId)).map((entry) => this.historyItem(entry, locale));
  }

  /** The call as it stood after each change past `version`, oldest first (stream catch-up). */
  async viewsAfter(callId: string, version: number): Promise<CallView[]> {
    const { locale } = await this.requireCall(callId);
    return (await this.store.history(callId, version)).map((entry) => this.viewOf(entry, locale));
  }

  /** Another process committed a change: forget our copy, tell local subscribers. */
  async remoteChange(callId: string, version: number): Promise<void> {
    const cached = this.cache.peek(callId);
    if (cached && cached.record.version < version) this.cache.delete(callId);
    if (!this.bus.hasSubscribers(callId)) return;
    for (const view of await this.viewsAfter(callId, version - 1)) this.bus.publish(view);
  }

  async requireCall(callId: string): Promise<CallRecord> {
    const loaded = await this.load(callId, this.store.shared);
    if (!loaded) throw new CallNotFound(callId);
    return loaded.record;
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
    const ids = this.store.shared ? null : await this.store.eventIds(callId);
    const eventIds = ids && ids.length <= MAX_KEPT_EVENT_IDS ? new Set(ids) : null;
    const loaded = { record, snapshot: this.runtime.restore(record.snapshot), eventIds };
    this.cache.set(callId, loaded);
    return loaded;
  }

  private eventChange(
    record: CallRecord,
    step: Step,
    event: Pick<HistoryEntry, 'eventId' | 'fingerprint' | 'type' | 'data' | 'source'>,
  ): EventChange {
    const at = this.now();
    const version = record.version + 1;
    const snapshot = this.runtime.persist(step.snapshot);
    const status: CallStatus = step.snapshot.status === 'active' ? 'active' : 'ended';

    const { timerList, armed, cancelled } =
      step.timers.length === 0
        ? { timerList: record.timers, armed: [], cancelled: [] }
        : this.timerChanges(record, step, at);
    const call: CallRecord = {
      ...record,
      status,
      version,
      snapshot,
      prompts: step.prompts,
      actions: step.effects,
      timers: timerList,
      updatedAt: at,
    };
    return {
      kind: 'event',
      call,
      expectedVersion: record.version,
      history: {
        callId: record.callId,
        seq: version,
        ...event,
        at,
        status,
        snapshot,
        prompts: step.prompts,
        actions: step.effects,
        timers: timerList,
      },
      armTimers: armed,
      cancelTimers: cancelled,
    };
  }

  /** Net effect of a step on the call's timers (a re-arm is a cancel then an arm). */
  private timerChanges(record: CallRecord, step: Step, at: number) {
    const timers = new Map(record.timers.map((t) => [t.timerId, t]));
    const armed = new Map<string, TimerRow>();
    const cancelled = new Set<string>();
    for (const change of step.timers) {
      if (change.op === 'cancel') {
        timers.delete(change.id);
        armed.delete(change.id);
        cancelled.add(change.id);
      } else {
        const row = {
          callId: record.callId,
          timerId: change.id,
          name: change.name,
          // Whole milliseconds: HOLD_CHECK_SECONDS may have any fraction (1.0005 s is 1000.5 ms),
          // and PostgreSQL's bigint due_at refuses a fractional one (the firing matches it exactly).
          dueAt: at + Math.round(change.delayMs),
          event: change.event,
        };
        timers.set(change.id, row);
        armed.set(change.id, row);
        cancelled.delete(change.id);
      }
    }
    return {
      timerList: [...timers.values()].map(({ timerId, name, dueAt }) => ({ timerId, name, dueAt })),
      armed: [...armed.values()],
      cancelled: [...cancelled],
    };
  }

  private committed(change: EventChange, step: Step, event: object, eventIds: Set<string> | null): CallView {
    this.cache.set(change.call.callId, { record: change.call, snapshot: step.snapshot, eventIds });
    const view = this.viewOf(change.call);
    // The change is durable now: an observer that throws must not turn it into an error.
    observe(() => {
      for (const timer of change.armTimers) this.hooks.onTimerArmed?.(timer.dueAt);
    });
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
    return view;
  }

  private viewOf(record: CallRecord): CallView;
  private viewOf(entry: HistoryEntry, locale: Locale): CallView;
  private viewOf(source: CallRecord | HistoryEntry, locale?: Locale): CallView {
    const version = 'version' in source ? source.version : source.seq;
    return buildView(
      { ...source, version, locale: 'locale' in source ? source.locale : (locale ?? 'ru') },
      this.runtime.allowedEventsOf(source.snapshot),
    );
  }

  private historyItem(entry: HistoryEntry, locale: Locale): HistoryItem {
    return {
      seq: entry.seq,
      id: entry.eventId,
      type: entry.type,
      data: entry.data,
      source: entry.source,
      at: new Date(entry.at).toISOString(),
      state: pathsOfValue(entry.snapshot.value),
      prompts: renderPrompts(entry.prompts, contextOf(entry.snapshot), locale),
      actions: entry.actions,
    };
  }
}

/** Runs an observer of a committed change; its failure is reported, never propagated. */
function observe(run: () => void): void {
  try {
    run();
  } catch (error) {
    process.emitWarning(`callflow: an observer of a committed change failed: ${(error as Error).message}`);
  }
}
