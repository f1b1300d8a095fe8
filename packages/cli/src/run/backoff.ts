// Bounded retries with exponential backoff, for calls to a busy service
// (Slurm's controller answering "Socket timed out"). The clock and the sleep
// are parameters so that tests run in memory.

export interface BackoffOptions {
  /** Tries in all, the first included. */
  readonly attempts: number;
  readonly baseMs: number;
  readonly maxMs: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The wait before retry `n` (1-based): base * 2^(n-1), at most maxMs. */
export function backoffDelay(n: number, o: Pick<BackoffOptions, "baseMs" | "maxMs">): number {
  return Math.min(o.maxMs, o.baseMs * 2 ** Math.max(0, n - 1));
}

/**
 * Calls `attempt` until it gives a result `transient` does not reject, or the
 * attempts are used up (then the last result). `stop` ends the waiting early (an interrupt).
 */
export async function withBackoff<T>(attempt: () => Promise<T>, transient: (r: T) => boolean, o: BackoffOptions, stop?: () => boolean): Promise<T> {
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let r = await attempt();
  for (let n = 1; n < o.attempts && transient(r) && !(stop?.() ?? false); n++) {
    await sleep(backoffDelay(n, o));
    r = await attempt();
  }
  return r;
}
