// Uploads run in the background, a few at a time, and the build ends with
// a drain bounded by a timeout: a slow server never holds a finished build
// for long, and what did not finish is counted, not waited for.
export interface DrainReport {
  /** Uploads still queued or running when the time ran out. */
  readonly unfinished: number;
}

export class UploadQueue {
  private readonly waiting: (() => Promise<void>)[] = [];
  private running = 0;
  private readonly idle = new Set<() => void>();

  constructor(private readonly concurrency: number) {}

  get size(): number {
    return this.waiting.length + this.running;
  }

  /** Queues `job`; its failures are its own to report (a job that throws is a bug, reported as unhandled). */
  add(job: () => Promise<void>): void {
    this.waiting.push(job);
    this.pump();
  }

  /** Resolves when the queue is empty, `timeoutMs` has passed or `signal` aborts, whichever is first; jobs left keep running until the process exits. */
  async drain(timeoutMs: number, signal?: AbortSignal): Promise<DrainReport> {
    if (this.size === 0 || signal?.aborted === true) return { unfinished: this.size };
    let timer: NodeJS.Timeout | undefined;
    let resolveIdle: () => void = () => undefined;
    const empty = new Promise<void>((resolve) => {
      resolveIdle = resolve;
      this.idle.add(resolve);
    });
    let onAbort: () => void = () => undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
      onAbort = resolve;
      signal?.addEventListener("abort", onAbort, { once: true });
    });
    try {
      await Promise.race([empty, timeout]);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      this.idle.delete(resolveIdle);
    }
    return { unfinished: this.size };
  }

  /** Drops the jobs not started yet (they count as not finished). */
  abandon(): number {
    return this.waiting.splice(0).length;
  }

  private pump(): void {
    while (this.running < this.concurrency && this.waiting.length > 0) {
      const job = this.waiting.shift() as () => Promise<void>;
      this.running++;
      void job().finally(() => {
        this.running--;
        this.pump();
        if (this.size === 0) for (const done of this.idle) done();
      });
    }
  }
}
