import type { JobAccounting } from "./build-host.js";

/** A task's final state in one build. */
export type TaskStatus = "ran" | "restored" | "up-to-date" | "failed" | "cannot-run" | "skipped";

export type FailureReason =
  | "exit-code"
  | "timeout"
  | "interrupted"
  | "missing-output"
  | "unsafe-output"
  | "input-missing"
  | "spawn-error"
  | "dependency-failed"
  | "io"
  // From a cluster scheduler (Slurm's job states; build-host.ts RunResult.failure).
  | "out-of-memory"
  | "node-fail"
  | "preempted"
  | "cancelled"
  | "submit-error"
  | "job-lost";

export interface TaskResult {
  readonly status: TaskStatus;
  readonly key?: string;
  readonly durationMs: number;
  /** Why it failed, when status is failed / cannot-run / skipped; `assumed` for an up-to-date task --assume-fresh took as it is. */
  readonly reason?: FailureReason | "assumed";
  readonly message?: string;
  /** Where the recipe's output was written, when it ran. */
  readonly logPath?: string;
  readonly exitCode?: number;
  /** The cluster job that ran the recipe (build-host.ts RunResult.job). */
  readonly job?: JobAccounting;
}
