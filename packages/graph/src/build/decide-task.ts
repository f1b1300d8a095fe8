/**
 * The one place where a task's fate is decided: its ingredients, its key and
 * the cache's verdict, with the reason (Ninja's DependencyScan::RecomputeDirty
 * with its explanations). The build (executeTask) acts on the decision, the
 * planner (`flow status`, `flow explain`) reports it, and `flow build
 * --explain` prints the reason the build's own decision carried on its
 * `task-start` event; none of them decides again.
 *
 *   fresh    the cache holds a result for the key and the outputs on disk are
 *            that result (or the task has no recipe: it does no work)
 *   restore  the cache holds a result, the outputs on disk are missing or
 *            others: they are written back, nothing runs
 *   run      no usable result (none, `.ALWAYS`, `--force`, or an entry whose
 *            ingredients are not the key's: a collision, never trusted)
 *   assumed  `--assume-fresh` matched it (assume-fresh.ts): neither run nor
 *            restored, its outputs on disk are taken as they are; no key is
 *            computed and nothing is recorded for it. Its dependents' keys
 *            see those outputs' actual bytes, so what they file in the cache
 *            is filed under what they really read. Each declared output must
 *            be a file on disk, else the task fails (nothing to assume).
 *
 * The reason compares the current ingredients with those kept with the
 * task's last successful run in this checkout (plan-reason.ts); it is read
 * before the task runs, since a run records a new last run. A fresh task has
 * no reason, and none is computed: the no-op path is ingredients, key, one
 * lookup and one comparison of the outputs, as before.
 *
 * Reads only: the host type has no method that writes, except through the
 * stat memo behind `inputState` and `outputsMatch`.
 */
import type { ActionCache, FileState, OutputEntry } from "@flow/cache";
import type { Workspace } from "./build-host.js";
import { depOutputValues, hasLinkOutput, plainOutputValues } from "./link-input.js";
import { KEY_SCHEMA, keyIngredients, recordMatches, type Ingredients, type Keyed } from "./key.js";
import { discoveredReason } from "./discovered-inputs.js";
import { outputsReason, reasonSinceLastRun, uncachedReason, type PlanReason } from "./plan-reason.js";
import type { Task } from "../graph/task-graph.js";
import type { TaskResult } from "./task-result.js";
import type { TaskTiming } from "./task-timing.js";
import type { AssumeFresh } from "./assume-fresh.js";

export type Verdict = "fresh" | "restore" | "run" | "assumed";

export interface Decision {
  readonly verdict: Verdict;
  readonly key: string;
  /** The text the key hashes: the cache keeps it with the result. */
  readonly canonical: string;
  readonly ingredients: Ingredients;
  /** Each input's state (content and identity) when the key was computed, in `task.inputs` order: a run is cached only if they are the same after it. */
  readonly inputStates: readonly FileState[];
  /** fresh or restore: the recorded outputs, which dependents' keys see; assumed: the outputs on disk; empty for run. */
  readonly outputs: readonly OutputEntry[];
  /** fresh or restore of a task with a depfile: the discovered inputs the result was checked against (discovered-inputs.ts). */
  readonly discovered?: readonly (readonly [string, string])[];
  /** Why the task is not fresh; absent when fresh. */
  readonly reason?: PlanReason;
  /** The cache held an entry under the key with other ingredients (a hash collision or a forged record); it was ignored. */
  readonly collision?: true;
  /** fresh or restore: the blob holding the cached run's log, when it printed something (a `.CACHED` phony task's is replayed). */
  readonly log?: string;
  /** Fresh by the persistent build state's word (Prior): no ingredients or canonical text were computed, and its last run is already recorded. */
  readonly vouched?: true;
}

export type Decided =
  | { readonly ok: true; readonly decision: Decision }
  /**
   * An input does not exist (missingInput), or an assumed task's output is
   * not a file on disk: nothing can be decided, the task fails. `reason`:
   * what the planner reports for it.
   */
  | { readonly ok: false; readonly missingInput?: string; readonly reason: PlanReason; readonly failed: TaskResult };

/** What a finished dependency hands to its dependents. */
export interface DoneTask {
  readonly result: TaskResult;
  /** Its outputs as recorded (for the dependents' keys). */
  readonly outputs: readonly OutputEntry[];
  /** What was decided for it, when it got that far (not for a task that could not run). */
  readonly decision?: Decision;
  /** Its phases, when a profile was asked for and it did work (execute-task.ts). */
  readonly timing?: TaskTiming;
}

/** The read side of a build's host: all a decision may touch. */
export interface DecideHost {
  readonly workspace: Pick<Workspace, "inputState" | "outputsMatch">;
  readonly cache: Pick<ActionCache, "lookup" | "lastRun">;
  hashString(s: string): string;
}

/**
 * What the persistent build state (the CLI's build-state.ts) vouches for: the
 * task's key and outputs are its last build's, since nothing it reads or
 * writes changed since then (each path's stat is the one recorded, every
 * dependency is vouched for too, the `.ENV` values are the same). The
 * decision is then fresh without ingredients, hashing or a cache look-up: a
 * no-op build costs a stat per path, not a key per task.
 */
export interface Prior {
  readonly key: string;
  readonly outputs: readonly OutputEntry[];
}

/** The prior of a task the state vouches for; undefined for the others, which are decided in full. */
export type PriorLookup = (task: Task) => Prior | undefined;

export interface DecideContext {
  readonly host: DecideHost;
  /** The persistent build state's vouchers, when a build has one. */
  readonly prior?: PriorLookup | undefined;
  /** The process environment, where `.ENV` values are read. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** `--force`: every task with a recipe runs. */
  readonly force: boolean;
  /** `--assume-fresh`: the tasks taken as fresh as they are on disk (assume-fresh.ts). Turns the vouchers off. */
  readonly assume?: AssumeFresh | undefined;
}

/**
 * Whether the decision is "assumed" for this task: --assume-fresh matches it
 * and it has a recipe (a task without one does no work: assuming it would
 * change nothing but its dependencies' say). Also the planner's test of
 * whether the task's dependencies matter to its decision.
 */
export function isAssumed(task: Task, assume: AssumeFresh | undefined): boolean {
  return assume !== undefined && task.recipe !== "" && assume(task);
}

export function decideTask(task: Task, deps: readonly (readonly [Task, DoneTask])[], ctx: DecideContext): Promise<Decided> {
  if (isAssumed(task, ctx.assume)) return Promise.resolve(assumedDecision(task, ctx.host));
  // Under --assume-fresh the state vouches for nothing (as under --force): a
  // voucher says a task's inputs are its last build's, and an assumed
  // dependency's outputs are whatever is on disk, vouched for by no one.
  const prior = ctx.force || ctx.assume !== undefined ? undefined : ctx.prior?.(task);
  if (prior !== undefined) return Promise.resolve(priorDecision(prior));
  const ws = ctx.host.workspace;
  const ing = collectIngredients(task, deps, { host: ws, env: ctx.env });
  if ("failed" in ing) {
    const missingInput = task.inputs.find((p) => ws.inputState(p).kind === "missing") ?? "";
    return Promise.resolve({ ok: false, missingInput, reason: { kind: "input-missing", path: missingInput }, failed: ing.failed });
  }
  const { ingredients, inputStates } = ing;
  const keyed = keyIngredients(ingredients, (s) => ctx.host.hashString(s));

  // A task without a recipe (an aggregate like `all`) does no work; its key stands for its deps.
  if (task.recipe === "") return Promise.resolve(decided("fresh", keyed, ingredients, inputStates, NO_OUTPUTS));
  if (task.always) return Promise.resolve(decided("run", keyed, ingredients, inputStates, NO_OUTPUTS, ALWAYS));
  if (runsEveryTime(task)) return Promise.resolve(decided("run", keyed, ingredients, inputStates, NO_OUTPUTS, PHONY));
  if (ctx.force) return Promise.resolve(decided("run", keyed, ingredients, inputStates, NO_OUTPUTS, FORCED));
  return consultCache(task, keyed, ingredients, inputStates, ctx.host);
}

/**
 * The cache's verdict on a computed key. Apart from decideTask, which stays
 * synchronous: the optimizing compiler compiles an async function whole, and
 * one that also held the ingredients and the key cost ~2x executeTask's
 * compile time before the split (--trace-opt), on every build's main thread
 * (flow runs with --no-concurrent-recompilation).
 */
async function consultCache(task: Task, keyed: Keyed, ingredients: Ingredients, inputStates: readonly FileState[], host: DecideHost): Promise<Decided> {
  const ws = host.workspace;
  const hit = await host.cache.lookup(keyed.key);
  const collision = hit !== undefined && !recordMatches(hit.canonical, keyed);
  if (hit !== undefined && !collision) {
    // A result is only as good as what its recipe read: a task with a depfile checks its discovered inputs.
    const discovered = task.depfile === undefined ? undefined : discoveredReason(hit.discovered, ws);
    if (discovered !== undefined) return decided("run", keyed, ingredients, inputStates, NO_OUTPUTS, discovered);
    if (ws.outputsMatch(hit.outputs)) return decided("fresh", keyed, ingredients, inputStates, hit.outputs, undefined, false, hit.log, hit.discovered);
    const since = reasonSinceLastRun(keyed.key, ingredients, await host.cache.lastRun(task.name));
    return decided("restore", keyed, ingredients, inputStates, hit.outputs, since ?? outputsReason(hit.outputs, ws), false, hit.log, hit.discovered);
  }
  const since = reasonSinceLastRun(keyed.key, ingredients, await host.cache.lastRun(task.name));
  return decided("run", keyed, ingredients, inputStates, NO_OUTPUTS, since ?? uncachedReason(task, ws), collision);
}

const NO_OUTPUTS: readonly OutputEntry[] = [];
const NO_STATES: readonly FileState[] = [];
/** A vouched-for decision's ingredients are not computed: only a run or a reason reads them, and such a task is never vouched for. */
const UNCOMPUTED: Ingredients = { schema: KEY_SCHEMA, recipe: "", outputs: [], inputs: [], deps: [], env: [], exported: [] };

export function priorDecision(p: Prior): Decided {
  return decided("fresh", { key: p.key, canonical: "" }, UNCOMPUTED, NO_STATES, p.outputs, undefined, false, undefined, undefined, true);
}
const ASSUMED: PlanReason = { kind: "assumed" };

/**
 * An assumed task's decision: its declared outputs as they are on disk (read
 * through the stat memo, as inputs are), for its dependents' keys. Its key
 * names the assumption and those bytes; no record is ever filed under it,
 * and it only reaches a dependent's key for a task without outputs.
 */
function assumedDecision(task: Task, host: DecideHost): Decided {
  const outputs: OutputEntry[] = [];
  const unusable: string[] = [];
  for (const o of task.outputs) {
    const st = o.isDir ? undefined : host.workspace.inputState(o.path);
    if (st === undefined || st.kind !== "file") unusable.push(o.isDir ? `${o.path}/` : o.path);
    else outputs.push({ path: o.path, kind: "file", hash: st.hash, size: st.size, mode: st.mode });
  }
  if (unusable.length > 0) {
    const what = unusable.length === 1 ? `its output '${unusable[0]}' is` : `its outputs ${unusable.map((p) => `'${p}'`).join(", ")} are`;
    const message =
      `'${task.name}' is assumed fresh (--assume-fresh), but ${what} missing or not a plain file, so there is nothing to assume: ` +
      `build it without --assume-fresh first, or leave it out of the pattern (a declared output directory cannot be assumed)`;
    return { ok: false, reason: { kind: "cannot-assume", paths: unusable }, failed: { status: "failed", reason: "missing-output", message, durationMs: 0 } };
  }
  const canonical = JSON.stringify(["assumed", task.name, plainOutputValues(outputs)]);
  return decided("assumed", { key: host.hashString(canonical), canonical }, UNCOMPUTED, NO_STATES, outputs, ASSUMED);
}

const ALWAYS: PlanReason = { kind: "always" };
const PHONY: PlanReason = { kind: "phony" };

/**
 * A phony task with a recipe and no declared outputs is an action (clean,
 * deploy, run, print): it runs on every build that selects it, as in Make,
 * and its result is never cached, unless the Flowfile lists it in `.CACHED`.
 * A phony task with `.OUTPUTS` is cached by them, like a file task.
 */
export function runsEveryTime(task: Task): boolean {
  return task.phony && !task.cached && task.outputs.length === 0 && task.recipe !== "";
}
const FORCED: PlanReason = { kind: "forced" };

/**
 * A decision, always built with the same shape (absent fields undefined, no
 * spreads): one is made per task on every build, and one object layout keeps
 * the code that makes and reads them monomorphic.
 */
function decided(
  verdict: Verdict,
  keyed: Keyed,
  ingredients: Ingredients,
  inputStates: readonly FileState[],
  outputs: readonly OutputEntry[],
  reason?: PlanReason,
  collision?: boolean,
  log?: string,
  discovered?: readonly (readonly [string, string])[],
  vouched?: boolean,
): Decided {
  const decision: Decision = {
    verdict,
    key: keyed.key,
    canonical: keyed.canonical,
    ingredients,
    inputStates,
    outputs,
    reason,
    collision: collision === true ? true : undefined,
    log,
    discovered,
    vouched: vouched === true ? true : undefined,
  };
  return { ok: true, decision };
}

/**
 * A task's ingredients from the disk (inputs through the stat memo), its
 * finished dependencies and the environment. `flow explain` also calls it
 * for a task whose key is not known yet (some dependencies still to run).
 */
export function collectIngredients(
  task: Task,
  deps: readonly (readonly [Task, DoneTask])[],
  ctx: { readonly host: Pick<Workspace, "inputState">; readonly env: Readonly<Record<string, string | undefined>> },
): { ingredients: Ingredients; inputStates: FileState[] } | { failed: TaskResult } {
  const inputs: [string, string][] = [];
  const inputStates: FileState[] = [];
  for (const path of task.inputs) {
    const st = ctx.host.inputState(path);
    inputStates.push(st);
    if (st.kind === "missing") {
      return { failed: { status: "failed", reason: "input-missing", message: `input '${path}' is missing (deleted while the build ran?)`, durationMs: 0 } };
    }
    inputs.push([path, st.kind === "file" ? st.hash : st.kind === "dir" ? "dir" : `link:${st.target}`]);
  }
  const depList: [string, [string, string, number][] | string][] = [];
  // Links among the dependencies' outputs are followed (link-input.ts); the map they resolve
  // against is built on first need. A dependency without links takes the plain path, which
  // allocates no closure: this loop runs for every task of every build.
  let recorded: Map<string, OutputEntry> | undefined;
  for (const [dt, done] of deps) {
    if (dt.outputs.length === 0) depList.push([dt.name, done.result.key ?? ""]);
    else if (!hasLinkOutput(done.outputs)) depList.push([dt.name, plainOutputValues(done.outputs)]);
    else {
      const all = (recorded ??= new Map(deps.flatMap(([, d]) => d.outputs.map((o) => [o.path, o] as const))));
      depList.push([dt.name, depOutputValues(done.outputs, () => all, (p) => ctx.host.inputState(p))]);
    }
  }
  depList.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return {
    inputStates,
    ingredients: {
      schema: KEY_SCHEMA,
      recipe: task.recipe,
      outputs: task.outputs.map((o) => (o.isDir ? `${o.path}/` : o.path)),
      inputs,
      deps: depList,
      env: task.env.map((n) => [n, ctx.env[n] ?? null] as const),
      exported: task.exported,
    },
  };
}
