/**
 * Why a task is not fresh, as one value: the planner gives one to every
 * stale, cached and waiting task, `flow build --explain` to every task that
 * runs. Derived by comparing the task's current ingredients with those kept
 * with its last successful run in this checkout (`ActionCache.lastRun`).
 *
 * One reason, not all of them: the first difference in the order schema,
 * recipe, declared outputs, inputs, `.ENV`, exported variables, dependencies.
 * The order goes from what the author edited in the Flowfile to what changed
 * underneath; `flow explain` shows every difference.
 */
import type { LastRun, OutputEntry } from "@flow/cache";
import type { Workspace } from "./build-host.js";
import { asIngredients, diffIngredients, type IngredientDiff, type ValueChange } from "./ingredient-diff.js";
import type { Ingredients } from "./key.js";
import type { Task } from "../graph/task-graph.js";

export type PlanReason =
  /** No successful run of the task is recorded in this checkout. */
  | { readonly kind: "new-task" }
  /** `--force`. */
  | { readonly kind: "forced" }
  /** `.ALWAYS`: never cached. */
  | { readonly kind: "always" }
  /** A phony task without outputs (and not `.CACHED`): runs every time, as in Make. */
  | { readonly kind: "phony" }
  /** flow's key format changed since the last run. */
  | { readonly kind: "schema-changed" }
  | { readonly kind: "recipe-changed" }
  | { readonly kind: "outputs-declared"; readonly added: readonly string[]; readonly removed: readonly string[] }
  | { readonly kind: "input-changed"; readonly changes: readonly ValueChange<string>[] }
  /**
   * A file its depfile listed at its last run (a header) changed or is gone
   * (new: null), so the recorded result is not trusted (discovered-inputs.ts);
   * no changes: the record lists none, since it was made without a depfile.
   */
  | { readonly kind: "discovered-input-changed"; readonly changes: readonly ValueChange<string>[] }
  | { readonly kind: "env-changed"; readonly names: readonly string[] }
  | { readonly kind: "variable-changed"; readonly names: readonly string[] }
  | { readonly kind: "dependency-changed"; readonly names: readonly string[] }
  /** Changed since its last run, whose record is no longer in the cache: what changed is unknown. */
  | { readonly kind: "last-run-unknown" }
  /** Same ingredients as its last run, but the cache no longer holds that result; its outputs are on disk. */
  | { readonly kind: "not-in-cache" }
  /** Outputs gone from disk: restored when cached, rebuilt when not. */
  | { readonly kind: "outputs-missing"; readonly paths: readonly string[] }
  /** Outputs on disk that are not the recorded result: restored. */
  | { readonly kind: "outputs-modified"; readonly paths: readonly string[] }
  /** An input file does not exist: the task will fail. */
  | { readonly kind: "input-missing"; readonly path: string }
  /** Its key depends on these stale or waiting dependencies. */
  | { readonly kind: "waiting-for"; readonly names: readonly string[] }
  /** `--assume-fresh`: taken as fresh as it is on disk, without a look at its ingredients (a fresh task's only reason). */
  | { readonly kind: "assumed" }
  /** `--assume-fresh` matched it, but these declared outputs are missing or not plain files: the task will fail. */
  | { readonly kind: "cannot-assume"; readonly paths: readonly string[] }
  /** A task without a recipe whose dependencies will be restored. */
  | { readonly kind: "deps-restored"; readonly names: readonly string[] };

export type ReasonKind = PlanReason["kind"];

/** The first difference of a diff as a reason; undefined when nothing differs. */
export function reasonFromDiff(d: IngredientDiff): PlanReason | undefined {
  if (d.schemaChanged) return { kind: "schema-changed" };
  if (d.recipe) return { kind: "recipe-changed" };
  if (d.outputsAdded.length > 0 || d.outputsRemoved.length > 0) return { kind: "outputs-declared", added: d.outputsAdded, removed: d.outputsRemoved };
  if (d.inputs.length > 0) return { kind: "input-changed", changes: d.inputs };
  if (d.env.length > 0) return { kind: "env-changed", names: d.env.map((e) => e.name) };
  if (d.exported.length > 0) return { kind: "variable-changed", names: d.exported.map((e) => e.name) };
  if (d.deps.length > 0) return { kind: "dependency-changed", names: d.deps.map((e) => e.name) };
  return undefined;
}

/**
 * What changed since the task's last successful run (read before the task
 * runs: a run records a new one). Undefined when the current key is the last
 * run's key: nothing changed.
 */
export function reasonSinceLastRun(key: string, ing: Ingredients, last: LastRun | undefined): PlanReason | undefined {
  if (last === undefined) return { kind: "new-task" };
  if (last.key === key) return undefined;
  const before = asIngredients(last.canonical);
  if (!before) return { kind: "last-run-unknown" };
  return reasonFromDiff(diffIngredients(ing, before)) ?? { kind: "last-run-unknown" };
}

/**
 * Why a task with a cache record for its key is not fresh: which recorded
 * outputs are missing or differ on disk (looked at through the stat memo).
 */
export function outputsReason(entries: readonly OutputEntry[], host: Pick<Workspace, "inputState">): PlanReason {
  const missing: string[] = [];
  const modified: string[] = [];
  for (const e of entries) {
    const st = host.inputState(e.path);
    if (st.kind === "missing") missing.push(e.path);
    else if (e.kind === "file" && (st.kind !== "file" || st.hash !== e.hash || st.mode !== e.mode)) modified.push(e.path);
    else if (e.kind === "dir" && st.kind !== "dir") modified.push(e.path);
  }
  if (missing.length > 0) return { kind: "outputs-missing", paths: missing };
  return { kind: "outputs-modified", paths: modified };
}

/** For a stale task with the same ingredients as its last run: its outputs are gone, or only the cache entry is. */
export function uncachedReason(task: Task, host: Pick<Workspace, "inputState">): PlanReason {
  const missing = task.outputs.filter((o) => host.inputState(o.path).kind === "missing").map((o) => o.path);
  return missing.length > 0 ? { kind: "outputs-missing", paths: missing } : { kind: "not-in-cache" };
}
