import type { Decision } from "./decide-task.js";
import type { Diagnostic } from "../diagnostic.js";
import type { Task } from "../graph/task-graph.js";
import type { TaskResult } from "./task-result.js";
import type { TaskTiming } from "./task-timing.js";

/**
 * What the core tells the world. The core never prints; the CLI renders these
 * (text for a terminal or CI, JSON with --json), and later a live display,
 * run history and Chrome traces consume the same stream.
 */
export type BuildEvent =
  | { readonly type: "build-start"; readonly total: number; readonly concurrency: number }
  /** Right before a recipe starts; the decision says why it runs (`flow build --explain` prints its reason). */
  | { readonly type: "task-start"; readonly task: Task; readonly decision: Decision }
  /**
   * Every selected task's final state; the decision is absent when none was made (it could not run, or was skipped).
   * `timing` only when a profile was asked for (BuildRequest.profileClock), and only for a task that did work.
   */
  | { readonly type: "task-end"; readonly task: Task; readonly result: TaskResult; readonly decision?: Decision; readonly timing?: TaskTiming }
  | { readonly type: "warning"; readonly warning: Diagnostic | { readonly code: string; readonly message: string } }
  | { readonly type: "interrupt"; readonly force: boolean }
  | { readonly type: "build-end"; readonly ok: boolean; readonly durationMs: number };

export type EmitEvent = (e: BuildEvent) => void;
