import { sameFileState } from "@flow/cache";
import type { BuildHost, TaskRunner } from "./build-host.js";
import { recordDiscovered, type Discovered } from "./discovered-inputs.js";
import { decideTask, runsEveryTime, type Decision, type DoneTask, type PriorLookup } from "./decide-task.js";
import type { EmitEvent } from "./events.js";
import type { TaskPhase, TaskTiming } from "./task-timing.js";
import type { AssumeFresh } from "./assume-fresh.js";
import type { Task } from "../graph/task-graph.js";
import type { TaskResult } from "./task-result.js";

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
  /** The persistent build state's vouchers (decide-task.ts Prior). */
  readonly prior?: PriorLookup | undefined;
  /** `--output-logs full`: every hit's stored log is written back to its log path, not only a `.CACHED` phony task's. */
  readonly replayLogs?: boolean | undefined;
  /**
   * `flow build --profile`: the clock (ms, fractional) each task's phases are
   * timed with; their timing goes out on task-end. Undefined, the default:
   * nothing is timed or kept.
   */
  readonly profileClock?: (() => number) | undefined;
  /** `--assume-fresh` (assume-fresh.ts). */
  readonly assume?: AssumeFresh | undefined;
}

const ASSUMED_MESSAGE = "assumed fresh (--assume-fresh): not run, not checked; its outputs on disk were taken as they are";

type Attempt = { done: DoneTask } | { failed: TaskResult };

/** A task's phases as they happen, on the profile clock: at most one is open at a time. */
class Phases {
  readonly list: TaskPhase[] = [];
  readonly startMs: number;
  #open: { phase: TaskPhase["phase"]; startMs: number } | undefined;
  constructor(readonly now: () => number) {
    this.startMs = now();
  }
  /** Ends the open phase, if any, and opens `phase`. */
  begin(phase: TaskPhase["phase"]): void {
    this.end();
    this.#open = { phase, startMs: this.now() };
  }
  end(): void {
    if (this.#open === undefined) return;
    // A literal, not a spread of #open: each spread copy got a hidden class of its own
    // (a heap snapshot of a 20,000-task build held 50,000 of them, three per task).
    this.list.push({ phase: this.#open.phase, startMs: this.#open.startMs, endMs: this.now() });
    this.#open = undefined;
  }
  /** Undefined for a task that did no work (fresh, or skipped before it ran): the profile leaves those out. */
  timing(result: TaskResult): TaskTiming | undefined {
    this.end();
    const worked = result.status === "failed" || this.list.some((p) => p.phase === "restore" || p.phase === "run");
    return worked ? { startMs: this.startMs, endMs: this.now(), phases: this.list } : undefined;
  }
}

/**
 * One task: decide (decide-task.ts), then act on the verdict: nothing, restore,
 * or run and record. Never throws for an expected failure; the result says
 * what happened, and carries the decision.
 */
export async function executeTask(task: Task, deps: readonly (readonly [Task, DoneTask])[], ctx: ExecuteContext): Promise<DoneTask> {
  // Without a profile nothing is timed: the plain build's path has no extra await or allocation.
  if (ctx.profileClock === undefined) return execute(task, deps, ctx, undefined);
  const phases = new Phases(ctx.profileClock);
  const done = await execute(task, deps, ctx, phases);
  const timing = phases.timing(done.result);
  return timing === undefined ? done : { ...done, timing };
}

async function execute(task: Task, deps: readonly (readonly [Task, DoneTask])[], ctx: ExecuteContext, phases: Phases | undefined): Promise<DoneTask> {
  const started = ctx.host.now();
  const elapsed = () => ctx.host.now() - started;
  phases?.begin("look-up");
  const decided = await decideTask(task, deps, ctx);
  phases?.end();
  if (!decided.ok) return { result: { ...decided.failed, durationMs: elapsed() }, outputs: [] };
  let decision = decided.decision;
  const { key } = decision;
  if (decision.collision) {
    ctx.emit({ type: "warning", warning: { code: "CACHE_KEY_COLLISION", message: `cache entry for '${task.name}' has other ingredients than its key implies; ignoring it` } });
  }
  // A task without a recipe (an aggregate like `all`) does no work; it records no last run.
  if (task.recipe === "") return { result: { status: "up-to-date", key, durationMs: elapsed() }, outputs: [], decision };
  // --assume-fresh: nothing runs, nothing is restored, nothing is recorded (no cache entry, no last run).
  if (decision.verdict === "assumed") return { result: { status: "up-to-date", key, reason: "assumed", message: ASSUMED_MESSAGE, durationMs: elapsed() }, outputs: decision.outputs, decision };

  if (decision.verdict === "fresh") {
    // A vouched-for task's last run is this key already: recording it again would cost a read per task.
    if (decision.vouched !== true) ctx.host.cache.recordLastRun(task.name, key);
    // Only a cached phony task has a log to show, unless every log was asked for: every other fresh task (all of a no-op build) takes no await and no spread.
    const logPath = (task.phony || ctx.replayLogs === true) && decision.log !== undefined ? await replayedLog(task, decision, ctx) : undefined;
    const result: TaskResult = logPath === undefined ? { status: "up-to-date", key, durationMs: elapsed() } : { status: "up-to-date", key, durationMs: elapsed(), logPath };
    return { result, outputs: decision.outputs, decision };
  }
  if (decision.verdict === "restore") {
    phases?.begin("restore");
    const restored = await restore(task, decision, ctx);
    phases?.end();
    if (restored) {
      ctx.host.cache.recordLastRun(task.name, key);
      const logPath = await replayedLog(task, decision, ctx);
      return { result: { status: "restored", key, durationMs: elapsed(), ...(logPath ? { logPath } : {}) }, outputs: decision.outputs, decision };
    }
    // The entry is gone now: deciding again gives the run its reason.
    phases?.begin("look-up");
    const again = await decideTask(task, deps, ctx);
    phases?.end();
    if (!again.ok) return { result: { ...again.failed, durationMs: elapsed() }, outputs: [] };
    decision = again.decision;
  }
  if (ctx.signal.aborted) return { result: { status: "skipped", key, reason: "interrupted", durationMs: 0 }, outputs: [], decision };
  const ran = await run(task, decision, ctx, phases);
  phases?.end();
  if ("failed" in ran) return { result: { ...ran.failed, key, durationMs: elapsed() }, outputs: [], decision };
  return { result: { ...ran.done.result, durationMs: elapsed() }, outputs: ran.done.outputs, decision };
}

/**
 * A cached phony task (`.CACHED`) is an action whose output is what it is
 * run for (a test's report): on a hit its stored log is written back to its
 * log path, for the renderer to show as if it had run. Any other task's is
 * only when asked (`replayLogs`, `--output-logs full`). Undefined when there
 * is nothing to show.
 */
async function replayedLog(task: Task, decision: Decision, ctx: ExecuteContext): Promise<string | undefined> {
  const ws = ctx.host.workspace;
  if ((!task.phony && ctx.replayLogs !== true) || decision.log === undefined || ws.restoreLog === undefined) return undefined;
  const logPath = ws.logPath(task.name);
  return (await ws.restoreLog(decision.log, logPath)) ? logPath : undefined;
}

/** Writes the recorded outputs back; false (with a warning, the entry dropped) when that fails. */
async function restore(task: Task, decision: Decision, ctx: ExecuteContext): Promise<boolean> {
  const ws = ctx.host.workspace;
  ws.removeOutputs(task.outputs);
  const restored = await ws.restoreOutputs(decision.outputs);
  if (restored.ok) return true;
  ctx.emit({
    type: "warning",
    warning: { code: "CACHE_RESTORE_FAILED", message: `could not restore '${task.name}' from the cache (${restored.reason}: ${restored.message}); running it` },
  });
  await ctx.host.cache.delete(decision.key);
  ws.removeOutputs(task.outputs);
  return false;
}

async function run(task: Task, decision: Decision, ctx: ExecuteContext, phases: Phases | undefined): Promise<Attempt> {
  const { host } = ctx;
  const ws = host.workspace;
  const { key } = decision;
  ws.removeOutputs(task.outputs);
  // A depfile left by an earlier run must not pass for this run's.
  if (task.depfile !== undefined) ws.removeOutputs([{ path: task.depfile, isDir: false }]);
  const logPath = ws.logPath(task.name);
  const env: Record<string, string> = { ...ctx.baseEnv };
  for (const [n, v] of task.exported) env[n] = v;
  for (const n of task.env) {
    const v = ctx.env[n];
    if (v !== undefined) env[n] = v;
  }
  ctx.emit({ type: "task-start", task, decision });
  phases?.begin("run");
  const t0 = host.now();
  const res = await ctx.runner.run({
    taskName: task.name,
    script: task.recipe,
    cwd: ctx.root,
    env,
    logPath,
    ...(task.timeoutSec !== undefined ? { timeoutMs: task.timeoutSec * 1000 } : {}),
    outputs: task.outputs.map((o) => o.path),
    ...(task.slurm !== undefined ? { slurm: task.slurm } : {}),
    ...(task.executor !== undefined ? { executor: task.executor } : {}),
    signal: ctx.signal,
  });
  const durationMs = host.now() - t0;
  // From here to the end: the outputs checked and stored, the record committed (execute ends the phase).
  phases?.begin("store");
  const failed = (status: "failed" | "skipped", reason: TaskResult["reason"], message: string, exitCode?: number): Attempt => {
    // Make's .DELETE_ON_ERROR, always on: nothing half-written survives.
    ws.removeOutputs(task.outputs);
    return { failed: { status, reason, message, logPath, durationMs, ...(exitCode !== undefined ? { exitCode } : {}), ...(res.job !== undefined ? { job: res.job } : {}) } };
  };
  if (res.spawnError) return failed("failed", "spawn-error", `could not start the recipe: ${res.spawnError}`);
  if (res.interrupted) return failed("skipped", "interrupted", "interrupted");
  if (res.failure !== undefined) return failed("failed", res.failure.reason, res.failure.message, res.exitCode ?? undefined);
  if (res.timedOut) return failed("failed", "timeout", `killed after its .TIMEOUT of ${task.timeoutSec}s`);
  if (res.exitCode !== 0) {
    return failed("failed", "exit-code", res.exitCode === null ? `killed by ${res.signal}` : `recipe exited with code ${res.exitCode}`, res.exitCode ?? undefined);
  }
  // A recipe that printed nothing left no log (the runner creates none for it): the result names none.
  const logged = res.logged !== false;
  const plain: TaskResult = logged ? { status: "ran", key, durationMs, logPath, exitCode: 0 } : { status: "ran", key, durationMs, exitCode: 0 };
  const ran: TaskResult = res.job === undefined ? plain : { ...plain, job: res.job };
  const saved = await ws.saveOutputs(task.outputs);
  if (!saved.ok) {
    const msg =
      saved.reason === "missing-output"
        ? `the recipe succeeded but did not create its declared output '${saved.path}'${saved.path === task.name ? missingTargetHint(task.name) : ""}`
        : `output '${saved.path}' cannot be cached: ${saved.message}`;
    return failed("failed", saved.reason === "missing-output" ? "missing-output" : saved.reason === "io" ? "io" : "unsafe-output", msg);
  }
  if (!saved.stored) {
    // Good outputs the cache could not take (disk full...): the task stands, like a record that cannot be written.
    const { path, message } = saved.storeFailure;
    const why = `could not store output '${path}' in the cache (${message}); it is built and in place but not cached, so '${task.name}' will run again next time. Free space on the cache's disk, or shrink the cache with 'flow cache gc --max-size SIZE'`;
    ctx.emit({ type: "warning", warning: { code: "OUTPUT_NOT_CACHED", message: why } });
    return { done: { result: ran, outputs: saved.entries } };
  }
  // Cache only clean results: the inputs must be what they were when the key
  // was computed, content and identity (an edit undone in time still shows).
  const changed = task.inputs.find((p, i) => {
    const was = decision.inputStates[i];
    return was === undefined || !sameFileState(was, ws.recheckInput(p));
  });
  // A phony task that runs every time has nothing to cache: its next build runs it again anyway.
  if (runsEveryTime(task)) return { done: { result: ran, outputs: saved.entries } };
  if (changed !== undefined) {
    ctx.emit({ type: "warning", warning: { code: "INPUT_CHANGED_DURING_RUN", message: `'${changed}' changed while '${task.name}' ran; its result is not cached and it will run again` } });
    return { done: { result: ran, outputs: saved.entries } };
  }
  let discovered: Discovered | undefined;
  if (task.depfile !== undefined) {
    const read = recordDiscovered(task, ws.readText(task.depfile), ctx.root.endsWith("/") ? ctx.root : `${ctx.root}/`, ws);
    if (!read.ok) {
      ctx.emit({ type: "warning", warning: { code: "INPUT_CHANGED_DURING_RUN", message: `'${read.changed}' changed while '${task.name}' ran; its result is not cached and it will run again` } });
      return { done: { result: ran, outputs: saved.entries } };
    }
    discovered = read.discovered;
  }
  host.cache.commit({ key, canonical: decision.canonical, outputs: saved.entries, durationMs, ...(logged ? { logPath } : {}), ...(discovered !== undefined ? { discovered } : {}) });
  host.cache.recordLastRun(task.name, key);
  return { done: { result: ran, outputs: saved.entries } };
}

/**
 * A rule's own target that its recipe never makes is most often an action
 * (`run:`, `deploy:`), which GNU Make runs every time only because no such
 * file appears: say how to tell flow so.
 */
function missingTargetHint(name: string): string {
  return `; if '${name}' names an action rather than a file, declare it phony: add '.PHONY: ${name}' to the Flowfile`;
}
