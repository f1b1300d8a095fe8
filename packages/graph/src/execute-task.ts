import { sameFileState, type ActionRecord, type FileState, type OutputEntry } from "@flow/cache";
import type { BuildHost, TaskRunner } from "./build-host.js";
import type { EmitEvent, TaskResult } from "./events.js";
import { depOutputValues } from "./link-input.js";
import { KEY_SCHEMA, keyIngredients, recordMatches, type Ingredients, type Keyed } from "./key.js";
import type { Task } from "./task-graph.js";

/** What a finished dependency hands to its dependents. */
export interface DoneTask {
  readonly result: TaskResult;
  /** Its outputs as recorded (for the dependents' keys). */
  readonly outputs: readonly OutputEntry[];
}

export interface ExecuteContext {
  readonly root: string;
  readonly host: BuildHost;
  readonly runner: TaskRunner;
  readonly emit: EmitEvent;
  /** The environment recipes see (PATH, HOME, ...); `.ENV` values are added per task. */
  readonly baseEnv: Readonly<Record<string, string>>;
  /** The process environment, where `.ENV` values are read. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly force: boolean;
  readonly signal: AbortSignal;
}

type Attempt = { done: DoneTask } | { failed: TaskResult };

/**
 * One task: hash its ingredients, then up-to-date, restore, or run and record.
 * Never throws for an expected failure; the result says what happened.
 */
export async function executeTask(task: Task, deps: readonly (readonly [Task, DoneTask])[], ctx: ExecuteContext): Promise<DoneTask> {
  const started = ctx.host.now();
  const elapsed = () => ctx.host.now() - started;
  const ing = collectIngredients(task, deps, ctx);
  if ("failed" in ing) return { result: { ...ing.failed, durationMs: elapsed() }, outputs: [] };
  const keyed = keyIngredients(ing.ingredients, (s) => ctx.host.hashString(s));
  const { key } = keyed;

  // A task without a recipe (an aggregate like `all`) does no work; its key stands for its deps.
  if (task.recipe === "") return { result: { status: "up-to-date", key, durationMs: elapsed() }, outputs: [] };

  if (!task.always && !ctx.force) {
    const hit = await lookup(task, keyed, ctx);
    if (hit) {
      ctx.host.recordLastRun(task.name, key);
      return { result: { ...hit.result, durationMs: elapsed() }, outputs: hit.outputs };
    }
  }
  if (ctx.signal.aborted) return { result: { status: "skipped", key, reason: "interrupted", durationMs: 0 }, outputs: [] };
  const ran = await run(task, keyed, ing.inputStates, ctx);
  if ("failed" in ran) return { result: { ...ran.failed, key, durationMs: elapsed() }, outputs: [] };
  return { result: { ...ran.done.result, durationMs: elapsed() }, outputs: ran.done.outputs };
}

/**
 * A task's ingredients from the disk (inputs through the stat memo), its
 * finished dependencies and the environment. Shared by the build and the
 * planner (`flow status`), so both compute the same key.
 */
export function collectIngredients(
  task: Task,
  deps: readonly (readonly [Task, DoneTask])[],
  ctx: { readonly host: Pick<BuildHost, "inputState">; readonly env: ExecuteContext["env"] },
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
  // Links among the dependencies' outputs are followed (link-input.ts); the map they resolve against is built on first need.
  let recorded: Map<string, OutputEntry> | undefined;
  const allRecorded = () => (recorded ??= new Map(deps.flatMap(([, done]) => done.outputs.map((o) => [o.path, o] as const))));
  const state = (p: string) => ctx.host.inputState(p);
  for (const [dt, done] of deps) {
    if (dt.outputs.length === 0) depList.push([dt.name, done.result.key ?? ""]);
    else depList.push([dt.name, depOutputValues(done.outputs, allRecorded, state)]);
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

async function lookup(task: Task, keyed: Keyed, ctx: ExecuteContext): Promise<DoneTask | undefined> {
  const { key } = keyed;
  const rec = await ctx.host.getAction(key);
  if (!rec || rec.exitCode !== 0) return undefined;
  if (!recordMatches(rec.ingredients, keyed)) {
    // Same key, other ingredients: a hash collision (or a forged record). Never trust it.
    ctx.emit({ type: "warning", warning: { code: "CACHE_KEY_COLLISION", message: `cache entry for '${task.name}' has other ingredients than its key implies; ignoring it` } });
    return undefined;
  }
  if (ctx.host.outputsMatch(rec.outputs)) return { result: { status: "up-to-date", key, durationMs: 0 }, outputs: rec.outputs };
  ctx.host.removeOutputs(task.outputs);
  const restored = await ctx.host.restoreOutputs(rec.outputs);
  if (restored.ok) return { result: { status: "restored", key, durationMs: 0 }, outputs: rec.outputs };
  ctx.emit({
    type: "warning",
    warning: { code: "CACHE_RESTORE_FAILED", message: `could not restore '${task.name}' from the cache (${restored.reason}: ${restored.message}); running it` },
  });
  await ctx.host.deleteAction(key);
  ctx.host.removeOutputs(task.outputs);
  return undefined;
}

/** `before`: each input's state when the key was computed, in `task.inputs` order. */
async function run(task: Task, keyed: Keyed, before: readonly FileState[], ctx: ExecuteContext): Promise<Attempt> {
  const { host } = ctx;
  const { key } = keyed;
  host.removeOutputs(task.outputs);
  const logPath = host.logPath(task.name);
  const env: Record<string, string> = { ...ctx.baseEnv };
  for (const [n, v] of task.exported) env[n] = v;
  for (const n of task.env) {
    const v = ctx.env[n];
    if (v !== undefined) env[n] = v;
  }
  ctx.emit({ type: "task-start", task });
  const t0 = host.now();
  const res = await ctx.runner.run({
    taskName: task.name,
    script: task.recipe,
    cwd: ctx.root,
    env,
    logPath,
    ...(task.timeoutSec !== undefined ? { timeoutMs: task.timeoutSec * 1000 } : {}),
    signal: ctx.signal,
  });
  const durationMs = host.now() - t0;
  const failed = (status: "failed" | "skipped", reason: TaskResult["reason"], message: string, exitCode?: number): Attempt => {
    // Make's .DELETE_ON_ERROR, always on: nothing half-written survives.
    host.removeOutputs(task.outputs);
    return { failed: { status, reason, message, logPath, durationMs, ...(exitCode !== undefined ? { exitCode } : {}) } };
  };
  if (res.spawnError) return failed("failed", "spawn-error", `could not start the recipe: ${res.spawnError}`);
  if (res.interrupted) return failed("skipped", "interrupted", "interrupted");
  if (res.timedOut) return failed("failed", "timeout", `killed after its .TIMEOUT of ${task.timeoutSec}s`);
  if (res.exitCode !== 0) {
    return failed("failed", "exit-code", res.exitCode === null ? `killed by ${res.signal}` : `recipe exited with code ${res.exitCode}`, res.exitCode ?? undefined);
  }
  const saved = await host.saveOutputs(task.outputs);
  if (!saved.ok) {
    const msg =
      saved.reason === "missing-output"
        ? `the recipe succeeded but did not create its declared output '${saved.path}'`
        : `output '${saved.path}' cannot be cached: ${saved.message}`;
    return failed("failed", saved.reason === "missing-output" ? "missing-output" : saved.reason === "io" ? "io" : "unsafe-output", msg);
  }
  if (!saved.stored) {
    // Good outputs the cache could not take (disk full...): the task stands, like a record that cannot be written.
    const { path, message } = saved.storeFailure;
    const why = `could not store output '${path}' in the cache (${message}); it is built and in place but not cached, so '${task.name}' will run again next time. Free space on the cache's disk, or shrink the cache with 'flow cache gc --max-size SIZE'`;
    ctx.emit({ type: "warning", warning: { code: "OUTPUT_NOT_CACHED", message: why } });
    return { done: { result: { status: "ran", key, durationMs, logPath, exitCode: 0 }, outputs: saved.entries } };
  }
  // Cache only clean results: the inputs must be what they were when the key
  // was computed, content and identity (an edit undone in time still shows).
  const changed = task.inputs.find((p, i) => {
    const was = before[i];
    return was === undefined || !sameFileState(was, host.recheckInput(p));
  });
  if (changed !== undefined) {
    ctx.emit({ type: "warning", warning: { code: "INPUT_CHANGED_DURING_RUN", message: `'${changed}' changed while '${task.name}' ran; its result is not cached and it will run again` } });
    return { done: { result: { status: "ran", key, durationMs, logPath, exitCode: 0 }, outputs: saved.entries } };
  }
  const log = await host.storeLog(logPath);
  const record: ActionRecord = {
    key,
    outputs: saved.entries,
    exitCode: 0,
    durationMs,
    ...(log ? { log: log as ActionRecord["log"] } : {}),
    // The canonical text, not the object: a hit compares it with one string comparison (recordMatches).
    ingredients: keyed.canonical,
    createdAt: host.now(),
  };
  host.commitAction(record);
  host.recordLastRun(task.name, key);
  return { done: { result: { status: "ran", key, durationMs, logPath, exitCode: 0 }, outputs: saved.entries } };
}
