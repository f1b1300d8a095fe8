import type { ActionRecord, FileState, OutputEntry } from "@flow/cache";
import type { OutputDecl } from "./task-graph.js";

export type SaveResult =
  | { ok: true; stored: true; entries: OutputEntry[] }
  /** The outputs are good but the cache could not store them (disk full...): the task stands, uncached. */
  | { ok: true; stored: false; entries: OutputEntry[]; storeFailure: { path: string; code: string | undefined; message: string } }
  | { ok: false; reason: "missing-output" | "unsafe-symlink" | "special-file" | "io"; path: string; message: string };

export type RestoreResult = { ok: true } | { ok: false; reason: string; path: string; message: string };

/**
 * Everything the build engine does to the disk and the cache, behind one
 * interface so that the engine is tested in memory. The CLI implements it with
 * the local cache (stat memo, LMDB, blob store) and the real file system;
 * a remote tier will sit behind the same calls.
 */
export interface BuildHost {
  /** An input's state through the stat memo (memoized for the run). Path project-relative or absolute. */
  inputState(path: string): FileState;
  /** The same, bypassing this run's memo: used to notice inputs edited while their task ran. */
  recheckInput(path: string): FileState;
  /** Remove declared outputs (files, links, whole declared directories), never following links. */
  removeOutputs(outputs: readonly OutputDecl[]): void;
  getAction(key: string): Promise<ActionRecord | undefined>;
  putAction(record: ActionRecord): Promise<void>;
  /**
   * Starts recording a successful result without waiting for it: making its
   * blobs durable (fsync) and writing the record happen off the task's
   * critical path. A failure is reported as a warning, never as a task failure.
   */
  commitAction(record: ActionRecord): void;
  /** Resolves when every commitAction so far has been written (or has failed). */
  flush(): Promise<void>;
  deleteAction(key: string): Promise<void>;
  saveOutputs(declared: readonly OutputDecl[]): Promise<SaveResult>;
  outputsMatch(entries: readonly OutputEntry[]): boolean;
  restoreOutputs(entries: readonly OutputEntry[]): Promise<RestoreResult>;
  /** Remember `key` as the last successful run of `taskName` in this checkout (for explain and clean). */
  recordLastRun(taskName: string, key: string): void;
  /** The key `recordLastRun` last stored for `taskName` in this checkout. */
  lastRunKey(taskName: string): string | undefined;
  /** Store a log's bytes; returns the blob id, or undefined when the log is empty or unreadable. */
  storeLog(logPath: string): Promise<string | undefined>;
  /** Where a task's recipe output goes. */
  logPath(taskName: string): string;
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
}

export interface RunResult {
  /** null when killed by a signal. */
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  readonly interrupted: boolean;
  /** Set when the process could not be started. */
  readonly spawnError?: string;
}

/** How a recipe is run: a local shell today; a remote executor or cluster scheduler later. */
export interface TaskRunner {
  run(req: RunRequest): Promise<RunResult>;
}
