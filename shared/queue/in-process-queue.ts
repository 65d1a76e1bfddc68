import { parseExecutionJob, type ExecutionJob, type ExecutionQueue } from './port.js';

/** What a drain did. */
export interface DrainReport {
  readonly processed: number;
  readonly failed: readonly { readonly job: ExecutionJob; readonly error: unknown }[];
}

/**
 * The execution queue inside one process, for `costwatch serve`, tests and benchmarks. Jobs go
 * through JSON as they would through SQS, so a job that would not survive the trip fails here too.
 */
export class InProcessExecutionQueue implements ExecutionQueue {
  readonly #jobs: ExecutionJob[] = [];
  #listener: (() => void) | undefined;
  #running: Promise<void> = Promise.resolve();

  async enqueue(job: ExecutionJob): Promise<void> {
    this.#jobs.push(parseExecutionJob(JSON.stringify(job)));
    this.#listener?.();
  }

  /** Jobs waiting, oldest first. */
  pending(): readonly ExecutionJob[] {
    return [...this.#jobs];
  }

  /** Runs every waiting job, and those they enqueue, one at a time; a failed job is reported, not retried. */
  async drain(worker: (job: ExecutionJob) => Promise<unknown>): Promise<DrainReport> {
    let processed = 0;
    const failed: { job: ExecutionJob; error: unknown }[] = [];
    for (let job = this.#jobs.shift(); job; job = this.#jobs.shift()) {
      processed++;
      try {
        await worker(job);
      } catch (error) {
        failed.push({ job, error });
      }
    }
    return { processed, failed };
  }

  /** Runs jobs as they arrive, one at a time, until the returned stop function is called. */
  startWorker(worker: (job: ExecutionJob) => Promise<unknown>, onError: (job: ExecutionJob, error: unknown) => void): () => Promise<void> {
    let stopped = false;
    const kick = () => {
      this.#running = this.#running.then(async () => {
        if (stopped) return;
        const report = await this.drain(worker);
        for (const f of report.failed) onError(f.job, f.error);
      });
    };
    this.#listener = kick;
    kick();
    return async () => {
      stopped = true;
      this.#listener = undefined;
      await this.#running;
    };
  }

  /** Resolves once the worker has nothing left to do (jobs enqueued meanwhile included). */
  async idle(): Promise<void> {
    let seen: Promise<void> | undefined;
    while (seen !== this.#running || this.#jobs.length > 0) {
      seen = this.#running;
      await seen;
      if (this.#jobs.length > 0 && !this.#listener) return;
    }
  }
}
