/**
 * Bounded concurrency with a bound per key: at most `perKey` tasks of one key (an endpoint) and
 * `total` tasks overall run at once; the rest wait in order, one queue per key, and a freed slot
 * goes to the keys in turn. A slow or dead endpoint fills its own slots only, never the others'.
 */
type Task = () => Promise<void>;

export class KeyedLimiter {
  private running = 0;
  private readonly runningByKey = new Map<string, number>();
  private readonly waiting = new Map<string, Task[]>();

  constructor(
    private readonly perKey: number,
    private readonly total: number,
  ) {}

  /** Runs `task` when a slot of its key is free; resolves when it has run (it never rejects). */
  run(key: string, task: Task): Promise<void> {
    return new Promise((resolve) => {
      const wrapped: Task = () =>
        task()
          .catch(() => {})
          .finally(resolve);
      const queue = this.waiting.get(key);
      if (queue) queue.push(wrapped);
      else this.waiting.set(key, [wrapped]);
      this.pump();
    });
  }

  get active(): number {
    return this.running;
  }

  get queued(): number {
    let n = 0;
    for (const queue of this.waiting.values()) n += queue.length;
    return n;
  }

  private pump(): void {
    // Map order is insertion order: a key that got a slot goes to the back, so keys take turns.
    for (const [key, queue] of this.waiting) {
      if (this.running >= this.total) return;
      if ((this.runningByKey.get(key) ?? 0) >= this.perKey) continue;
      const task = queue.shift() as Task;
      this.waiting.delete(key);
      if (queue.length > 0) this.waiting.set(key, queue);
      this.start(key, task);
    }
  }

  private start(key: string, task: Task): void {
    this.running++;
    this.runningByKey.set(key, (this.runningByKey.get(key) ?? 0) + 1);
    void task().finally(() => {
      this.running--;
      const left = (this.runningByKey.get(key) ?? 1) - 1;
      if (left === 0) this.runningByKey.delete(key);
      else this.runningByKey.set(key, left);
      this.pump();
    });
  }
}
