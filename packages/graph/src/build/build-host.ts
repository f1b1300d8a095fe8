import type { ActionCache, FileState, OutputEntry } from "@flow/cache";
import type { OutputDecl } from "../graph/task-graph.js";

export type SaveResult =
  | { ok: true; stored: true; entries: OutputEntry[] }
  /** The outputs are good but the cache could not store them (disk full...): the task stands, uncached. */
  | { ok: true; stored: false; entries: OutputEntry[]; storeFailure: { path: string; code: string | undefined; message: string } }
  | { ok: false; reason: "missing-output" | "unsafe-symlink" | "special-file" | "io"; path: string; message: string };

export type RestoreResult = { ok: true } | { ok: false; reason: string; path: string; message: string };

/**
 * The project's files as the build engine sees them, behind an interface so
 * that the engine is tested in memory. The CLI implements it over the real
 * file system, the stat memo and the local blob store.
 */
export interface Workspace {
  /** An input's state through the stat memo (memoized for the run). Path project-relative or absolute. */
  inputState(path: string): FileState;
  /** The same, bypassing this run's memo: used to notice inputs edited while their task ran. */
  recheckInput(path: string): FileState;
  /** Stores the declared outputs' bytes in the cache's home tier and describes them. */
  saveOutputs(declared: readonly OutputDecl[]): Promise<SaveResult>;
  /** Whether the outputs on disk are exactly these entries. */
  outputsMatch(entries: readonly OutputEntry[]): boolean;
  /** Writes recorded outputs back from the cache's home tier. */
  restoreOutputs(entries: readonly OutputEntry[]): Promise<RestoreResult>;
  /** Remove declared outputs (files, links, whole declared directories), never following links. */
  removeOutputs(outputs: readonly OutputDecl[]): void;
  /** Where a task's recipe output goes. */
  logPath(taskName: string): string;
  /** Writes a cached run's log (a blob of the home tier) to `logPath`; false when the blob is gone. Optional: hosts without logs replay nothing. */
  restoreLog?(hash: string, logPath: string): Promise<boolean>;
  /** The text of a file a recipe wrote beside its outputs (a depfile); undefined when it does not exist or cannot be read. */
  readText(path: string): string | undefined;
}

/**
 * Everything a build touches besides the recipes: the workspace, the action
 * cache (@flow/cache's ActionCache; its tiers are composed there, never
 * here), the key function and the clock.
 */
export interface BuildHost {
  readonly workspace: Workspace;
  readonly cache: ActionCache;
  /** 128-bit content hash of a string (the key function). */
  hashString(s: string): string;
  now(): number;
}

export interface RunRequest {
  readonly taskName: string;
  readonly script: string;
  /** Absolute working directory: the Flowfile's directory. */
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly logPath: string;
  readonly timeoutMs?: number;
  readonly signal: AbortSignal;
  /** The declared outputs, relative to `cwd`: a runner on another machine waits (bounded) for them to show here. */
  readonly outputs?: readonly string[];
  /** The task's `.SLURM` options, for a runner that submits to Slurm. */
  readonly slurm?: string;
  /** The task's `.EXECUTOR`, for a runner that can run it in more than one place. */
  readonly executor?: "slurm" | "local";
}

export interface RunResult {
  /** null when killed by a signal. */
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  readonly interrupted: boolean;
  /** Set when the process could not be started. */
  readonly spawnError?: string;
  /**
   * False when the recipe succeeded, printed nothing and left no file at its
   * log path (no file is created per silent task); a failure always has its
   * log. Undefined: the runner does not say (a log may be there).
   */
  readonly logged?: boolean;
  /**
   * A failure the runner knows the cause of better than an exit code (a
   * cluster scheduler: out of memory, node failure...): the task fails with it.
   */
  readonly failure?: { readonly reason: RunnerFailureReason; readonly message: string };
  /** Where it ran, when not here: the cluster's job id and its run time as the scheduler counted it. */
  readonly job?: JobAccounting;
}

/** A cluster job's id and run time (queue wait excluded), as the scheduler reports it. */
export interface JobAccounting {
  readonly id: string;
  /** Whole seconds (Slurm's resolution); undefined when it did not say. */
  readonly elapsedSec?: number;
  /** CPU seconds (user + system) of all its steps, from the scheduler's accounting (sacct); undefined without it. */
  readonly cpuSec?: number;
  /** Its peak resident memory in bytes (sacct's MaxRSS, the largest of its steps); undefined without accounting. */
  readonly maxRssBytes?: number;
}

/** Failures only a runner can tell (task-result.ts FailureReason). */
export type RunnerFailureReason = "out-of-memory" | "timeout" | "node-fail" | "preempted" | "cancelled" | "submit-error" | "job-lost";

/** How a recipe is run: a local shell today; a remote executor or cluster scheduler later. */
export interface TaskRunner {
  run(req: RunRequest): Promise<RunResult>;
}
