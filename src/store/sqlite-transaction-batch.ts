/**
 * Group commit for the capabilities' own transactions on SQLite (webhook deliveries, escalations,
 * erasures...), as the group committer does for call changes: the transactions asked for while
 * the writer is busy with the last batch go to it together, one message and one commit, each in
 * a savepoint of its own (sqlite-writes.ts `transactions`). Alone, each was a commit of its own
 * with its pages written to the WAL again: with an answering endpoint, one or two for every
 * message delivered, beside the events' group commits (docs/adr/0010).
 */
import type { BatchedTransaction } from './sqlite-writes.js';
import { reviveError } from './thread-errors.js';
import type { Statement, TransactionResult } from './types.js';

interface Waiting {
  statements: Statement[];
  resolve(result: TransactionResult): void;
  reject(error: unknown): void;
}

export class TransactionBatch {
  private queue: Waiting[] = [];
  private inFlight = false;
  private scheduled = false;

  constructor(
    private readonly run: (list: Statement[][]) => Promise<BatchedTransaction[]>,
    private readonly maxBatch = 200,
  ) {}

  submit(statements: Statement[]): Promise<TransactionResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ statements, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight) return;
    this.scheduled = true;
    // Those asked for in the same turn of the event loop go together.
    queueMicrotask(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.inFlight || this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.maxBatch);
    this.inFlight = true;
    try {
      const answers = await this.run(batch.map((w) => w.statements));
      for (const [i, waiting] of batch.entries()) {
        const answer = answers[i];
        if (answer?.ok) waiting.resolve(answer.result);
        else waiting.reject(answer ? reviveError(answer.error) : new Error('no answer for a batched transaction'));
      }
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
    } finally {
      this.inFlight = false;
      if (this.queue.length > 0) this.schedule();
    }
  }
}
