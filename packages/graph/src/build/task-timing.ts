// A task's phases as `flow build --profile` times them (ExecuteContext.profileClock):
// apart from events.ts, which the decision's file would otherwise import in a cycle.

/** One step of a task's execution, on the profile clock (ms). */
export interface TaskPhase {
  /** look-up: the key and the cache's verdict; restore: outputs written back; run: the recipe; store: outputs into the cache and the record. */
  readonly phase: "look-up" | "restore" | "run" | "store";
  readonly startMs: number;
  readonly endMs: number;
}

/** When a task's execution started and ended on the profile clock, and its phases in order. */
export interface TaskTiming {
  readonly startMs: number;
  readonly endMs: number;
  readonly phases: readonly TaskPhase[];
}
