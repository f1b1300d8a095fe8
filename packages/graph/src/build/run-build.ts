import type { BuildHost, TaskRunner } from "./build-host.js";
import type { EmitEvent } from "./events.js";
import { executeTask } from "./execute-task.js";
import { schedule } from "./scheduler.js";
import type { ExpectedMs, ScheduleOrder } from "./critical-path.js";
import { topologicalOrder, type Task, type TaskGraph } from "../graph/task-graph.js";
import type { TaskResult } from "./task-result.js";
import type { OutputEntry } from "@flow/cache";
import type { AssumeFresh } from "./assume-fresh.js";
import { priorDecision, type Decision, type Prior, type PriorLookup } from "./decide-task.js";

export interface BuildRequest {
  readonly graph: TaskGraph;
  /** Root tasks to build (with everything they need). */
  readonly roots: readonly number[];
  readonly root: string;
  readonly host: BuildHost;
  readonly runner: TaskRunner;
  readonly emit: EmitEvent;
  readonly concurrency: number;
  readonly keepGoing: boolean;
  /** `--force`: rerun the selected tasks even when cached. */
  readonly force: boolean;
  /** make's -l: asked before a task starts while another runs; false holds it back (see ScheduleOptions.mayStart). */
  readonly mayStart?: () => boolean;
  readonly signal: AbortSignal;
  readonly baseEnv: Readonly<Record<string, string>>;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The persistent build state's vouchers (decide-task.ts Prior). */
  readonly prior?: PriorLookup;
  /**
   * Write every hit's stored log back to its log path, for the result to name
   * (`--output-logs full`). Without it only a `.CACHED` phony task's is.
   */
  readonly replayLogs?: boolean;
  /** Which ready task starts first: the longest remaining path (default) or first in, first out (critical-path.ts). */
  readonly order?: ScheduleOrder;
  /**
   * Each task's expected recipe duration in ms (its last run), weighing the
   * critical path; unknown is the median of the known. Called only when the
   * scheduler runs (not when the state vouches for every task), once per task.
   */
  readonly expectedMs?: ExpectedMs;
  /** `--profile`: the clock each task's phases are timed with (ExecuteContext.profileClock); they go out on task-end. */
  readonly profileClock?: () => number;
  /** `--assume-fresh`: tasks taken as they are on disk (assume-fresh.ts); no vouchers then. */
  readonly assume?: AssumeFresh;
}

export interface BuildOutcome {
  readonly ok: boolean;
  /** Selected task ids in dependency order. */
  readonly order: readonly number[];
  readonly results: ReadonlyMap<number, TaskResult>;
  /** Each task's outputs as recorded (ran, restored or fresh; empty otherwise): what the persistent build state keeps. */
  readonly outputs: ReadonlyMap<number, readonly OutputEntry[]>;
}

/** Builds the roots and everything they need; resolves when every selected task has a final state. */
export async function runBuild(req: BuildRequest): Promise<BuildOutcome> {
  const order = topologicalOrder(req.graph, req.roots);
  const started = req.host.now();
  req.emit({ type: "build-start", total: order.length, concurrency: req.concurrency });
  const vouched = req.force || req.assume !== undefined ? undefined : allVouched(req.graph, order, req.prior);
  if (vouched !== undefined) return replayFresh(req, order, vouched, started);
  const ctx = { root: req.root, host: req.host, runner: req.runner, emit: req.emit, baseEnv: req.baseEnv, env: req.env, force: req.force, signal: req.signal, prior: req.prior, replayLogs: req.replayLogs, profileClock: req.profileClock, assume: req.assume };
  const done = await schedule(req.graph, order, (task: Task, deps) => executeTask(task, deps, ctx), {
    concurrency: req.concurrency,
    keepGoing: req.keepGoing,
    signal: req.signal,
    emit: req.emit,
    ...(req.mayStart ? { mayStart: req.mayStart } : {}),
    ...(req.order ? { order: req.order } : {}),
    ...(req.expectedMs ? { expectedMs: req.expectedMs } : {}),
  });
  // Results still being recorded in the background must be durable before the build reports its end.
  await req.host.cache.flush();
  const results = new Map<number, TaskResult>();
  const outputs = new Map<number, readonly OutputEntry[]>();
  let ok = true;
  for (const id of order) {
    const d = done.get(id);
    const r = d?.result ?? { status: "skipped" as const, durationMs: 0 };
    results.set(id, r);
    outputs.set(id, d?.outputs ?? []);
    if (r.status !== "ran" && r.status !== "restored" && r.status !== "up-to-date") ok = false;
  }
  req.emit({ type: "build-end", ok, durationMs: req.host.now() - started });
  return { ok, order, results, outputs };
}

/** Every selected task's prior, when the persistent build state vouches for all of them. */
function allVouched(graph: TaskGraph, order: readonly number[], prior: PriorLookup | undefined): Prior[] | undefined {
  if (prior === undefined) return undefined;
  const all: Prior[] = [];
  for (const id of order) {
    const p = prior(graph.tasks[id] as Task);
    if (p === undefined) return undefined;
    all.push(p);
  }
  return all;
}

/**
 * The build when the state vouches for every task: each is fresh, as
 * executeTask would find it (decide-task.ts Prior), so its events are
 * emitted in dependency order without the scheduler, which costs ~30 µs a
 * task in promises and queue bookkeeping, the largest part of a 10,000-task
 * no-op once nothing is decided. Nothing runs, so nothing is flushed.
 */
function replayFresh(req: BuildRequest, order: readonly number[], priors: readonly Prior[], started: number): BuildOutcome {
  const results = new Map<number, TaskResult>();
  const outputs = new Map<number, readonly OutputEntry[]>();
  for (let i = 0; i < order.length; i++) {
    const id = order[i] as number;
    const p = priors[i] as Prior;
    const task = req.graph.tasks[id] as Task;
    const result: TaskResult = { status: "up-to-date", key: p.key, durationMs: 0 };
    results.set(id, result);
    outputs.set(id, p.outputs);
    const decided = priorDecision(p);
    req.emit({ type: "task-end", task, result, ...(decided.ok ? { decision: decided.decision as Decision } : {}) });
  }
  req.emit({ type: "build-end", ok: true, durationMs: req.host.now() - started });
  return { ok: true, order, results, outputs };
}
