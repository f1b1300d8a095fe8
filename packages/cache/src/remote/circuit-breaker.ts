// The remote cache's circuit breaker: what bounds the time a dead or hung
// server costs a whole build.
//
// Without it, every task's lookup and upload would wait out its own timeout:
// a 1,000-task build against a server that accepts and never answers would
// lose 1,000 timeouts. With it, the first failure that says "the server is
// not there" (refused, unreachable, a timeout, a refused token) opens the
// breaker at once; failures that may pass (5xx, 429, a truncated body, a
// reset) open it after THRESHOLD in a row, each already retried. Once open it
// stays open for the rest of the process: a build is short, and probing a
// hung server again would cost another timeout (Turborepo also gives up on
// its remote for the rest of a run). Requests already in flight when it opens
// run out their own timeout, in parallel, so the loss is about one timeout.
//
// Failures in a row are counted per kind of request (reads, writes): a
// server whose reads all fail while its writes succeed would otherwise never
// open the breaker, each successful upload resetting the count, and every
// task would pay its lookup's retries.
export type RequestKind = "read" | "write";

export type BreakerListener = (reason: string) => void;

/** Consecutive retried-and-failed requests that open the breaker. */
export const BREAKER_THRESHOLD = 3;

export class CircuitBreaker {
  private readonly consecutive: Record<RequestKind, number> = { read: 0, write: 0 };
  private openedWith: string | undefined;

  constructor(
    private readonly onOpen: BreakerListener,
    private readonly threshold = BREAKER_THRESHOLD,
  ) {}

  /** Why it opened, or undefined while it is closed. */
  get openReason(): string | undefined {
    return this.openedWith;
  }

  get isOpen(): boolean {
    return this.openedWith !== undefined;
  }

  success(kind: RequestKind): void {
    this.consecutive[kind] = 0;
  }

  /** A failure that may pass: opens the breaker after `threshold` of one kind in a row. */
  failure(kind: RequestKind, reason: string): void {
    if (++this.consecutive[kind] >= this.threshold) this.trip(reason);
  }

  /** A failure that will not pass within this build: opens the breaker now. */
  trip(reason: string): void {
    if (this.openedWith !== undefined) return;
    this.openedWith = reason;
    this.onOpen(reason);
  }
}
