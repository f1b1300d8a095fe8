// A build's record: one directory per `flow build`, `.flow/runs/<N>/`, N one
// more than the newest kept (docs/history.md). It holds
//   run.json   the summary `flow runs` lists: arguments, directory, start,
//              end, outcome, exit code, counts (small: the listing reads only these);
//   tasks.json every task of the build, columnar (names, one status letter
//              each, durations, keys; exit codes, logs and the timeline's
//              spans only where there are some): at 10,000 tasks one array
//              of each, not 10,000 objects, and written once, at the end;
//   env.json   what the build ran with: flow, Node, OS, the Flowfile's
//              variables, the command line's overrides, the tasks' `.ENV`
//              values, secrets masked (secrets.ts);
//   logs/      the logs this build's recipes left in `.flow/logs/`,
//              hard-linked: the next run's log replaces the file there by a
//              rename, and the linked inode keeps this run's bytes.
// Written after the build, best effort: a full disk loses the record, never
// the build. Nothing is written through a link: `.flow` and `.flow/runs` are
// lstat'ed, the run directory is made new (mkdir fails on anything already
// there), and each file goes to a temporary name renamed into place.
import { copyFileSync, linkSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { arch, platform, release } from "node:os";
import { basename, join } from "node:path";
import { performance } from "node:perf_hooks";
import type { BuildEvent, BuildOutcome, FlowfileModel, Task, TaskGraph, TaskStatus } from "@flow/graph";
import { assignSlots, type TimedSpan } from "../render/job-slots.js";
import { splitWords } from "../project/load-project.js";
import { recordDurations } from "../run/durations.js";
import { flowfileVariables, type VariableList } from "./flowfile-variables.js";
import { historyLimits, pruneRuns } from "./run-bounds.js";
import { SecretMask } from "./secrets.js";
import { ENV_FILE, LOGS_DIR, ownRunsDir, RECORD_VERSION, runNumbers, STATUS_LETTER, SUMMARY_FILE, TASKS_FILE } from "./run-files.js";

export type RunOutcome = "ok" | "failed" | "interrupted";

export interface RunCounts {
  readonly ran: number;
  readonly restored: number;
  readonly upToDate: number;
  readonly failed: number;
  readonly cannotRun: number;
  readonly skipped: number;
}

/** run.json. */
export interface RunSummary {
  readonly version: number;
  readonly run: number;
  /** The command line after `flow`, secrets masked. */
  readonly args: readonly string[];
  readonly cwd: string;
  /** ms since the epoch. */
  readonly start: number;
  readonly end: number;
  readonly outcome: RunOutcome;
  readonly exitCode: number;
  readonly tasks: number;
  readonly counts: RunCounts;
  /** What the run directory holds, in bytes (its logs counted whole): what the size bound adds up. */
  readonly bytes: number;
}

/** tasks.json: column i of every array is task i, in the build's dependency order. */
export interface RunTasks {
  readonly version: number;
  readonly names: readonly string[];
  /** One STATUS_LETTER per task. */
  readonly status: string;
  /** Whole milliseconds: the recipe's for a task that ran, the decision's otherwise. */
  readonly durationsMs: readonly number[];
  /** The task's key, "" when it had none (not decided, or an aggregate without a recipe). */
  readonly keys: readonly string[];
  /** [task index, exit code], only for tasks that have one. */
  readonly exitCodes: readonly (readonly [number, number])[];
  /** [task index, file name under logs/], only for tasks whose log was kept. */
  readonly logs: readonly (readonly [number, string])[];
  /**
   * The timeline (run-timeline.ts): [task index, start, end, job slot] for each task that did work
   * (ran, was restored, failed running); start and end in ms from the run's start (run.json's
   * `start`), slots from 1. Absent in records made before flow kept it; version 1 readers ignore it.
   */
  readonly spans?: readonly (readonly [number, number, number, number])[];
  /** The build's -j (its concurrency); absent with `spans`. */
  readonly jobs?: number;
  /**
   * [task index, reason], only for failed tasks (`exit-code`, `out-of-memory`...:
   * task-result.ts FailureReason). Absent in records written before it was added.
   */
  readonly reasons?: readonly (readonly [number, string])[];
  /**
   * [task index, cluster job id, its run time in whole seconds or null, CPU
   * seconds or null, peak resident memory in bytes or null], only for tasks
   * run as cluster jobs (docs/cluster.md); absent otherwise. The last two come
   * from sacct, only on a cluster that keeps accounting; records written
   * before they were added have three items.
   */
  readonly clusterJobs?: readonly (readonly [number, string, number | null, (number | null)?, (number | null)?])[];
}

/** env.json. */
export interface RunEnvironment {
  readonly version: number;
  readonly flow: string;
  readonly node: string;
  readonly os: string;
  readonly arch: string;
  /** The Flowfile's variables (flowfile-variables.ts); null when the build did not know them. */
  readonly variables: Readonly<Record<string, string>> | null;
  /** The command line's VAR=value. */
  readonly overrides: Readonly<Record<string, string>>;
  /** The `.ENV` values the tasks ran with (unset: null), and which tasks read which (grouped by their list of names). */
  readonly taskEnv: {
    readonly values: Readonly<Record<string, string | null>>;
    readonly groups: readonly { readonly names: readonly string[]; readonly tasks: readonly string[] }[];
  };
  /** What was masked: the names whose values read `***`. */
  readonly masked: readonly string[];
}

/** flow's own version, from its package.json (one small read, at the end of a build). */
export function flowVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version?: unknown };
    return typeof pkg.version === "string" ? pkg.version : "unknown";
  } catch {
    return "unknown";
  }
}

export interface RecorderStart {
  /** The command line after `flow` (process.argv.slice(2)). */
  readonly args: readonly string[];
  readonly cwd: string;
  /** The build's positional words: targets and VAR=value. */
  readonly words: readonly string[];
  readonly env: NodeJS.ProcessEnv;
}

export interface FinishedBuild {
  readonly root: string;
  readonly graph: TaskGraph;
  readonly outcome: BuildOutcome;
  readonly interrupted: boolean;
  /** The Flowfile's variables, when known (read now, or kept in the build state). */
  readonly variables?: VariableList | undefined;
  /** The recorded durations, when this build already read them (for the ETA or the scheduler): not read again. */
  readonly durations?: Map<string, number> | undefined;
}

/**
 * Made when a build starts, handed the outcome when it ends: records the
 * task durations (durations.ts), writes the run directory and prunes the
 * history to its bounds (run-bounds.ts).
 */
export class RunRecorder {
  private readonly start = Date.now();
  /** `start` on the monotonic clock the build times its tasks with. */
  private readonly startClock = performance.now();
  /** The clock to give the build as its profileClock, so that task-end events carry timings for the timeline. */
  readonly clock = (): number => performance.now();
  /**
   * Each task that did work: its id, start and end (the timeline needs no
   * more), in three flat arrays (numbers unboxed in place): a TaskTiming with
   * its phases kept per task cost ~0.5 KiB each for the whole build.
   */
  private readonly spanIds: number[] = [];
  private readonly spanStarts: number[] = [];
  private readonly spanEnds: number[] = [];
  private jobs = 0;

  constructor(private readonly o: RecorderStart) {}

  /** Sees the build's events: its concurrency, and the timing of each task that did work. */
  observe(e: BuildEvent): void {
    if (e.type === "build-start") this.jobs = e.concurrency;
    else if (e.type === "task-end" && e.timing !== undefined) {
      this.spanIds.push(e.task.id);
      this.spanStarts.push(e.timing.startMs);
      this.spanEnds.push(e.timing.endMs);
    }
  }

  /** The Flowfile's variables as this run records them (and the build state keeps them). */
  variablesOf(model: FlowfileModel): VariableList {
    return flowfileVariables(model, new SecretMask(this.o.env));
  }

  /** Returns the run's number, or undefined when none was written (history off, or the disk refused). */
  finish(b: FinishedBuild): number | undefined {
    const { graph, outcome } = b;
    const ran: [string, number][] = [];
    for (const id of outcome.order) {
      const r = outcome.results.get(id);
      if (r?.status === "ran") ran.push([(graph.tasks[id] as Task).name, r.durationMs]);
    }
    // Nothing ran (a no-op): the durations stand, and their file is not even read.
    if (ran.length > 0) recordDurations(b.root, ran, b.durations);
    const limits = historyLimits(this.o.env);
    let run: number | undefined;
    try {
      if (limits.maxRuns > 0) run = this.write(b, Date.now());
      pruneRuns(b.root, limits);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === undefined) throw err;
      // A full or read-only disk: this build goes unrecorded, nothing else is lost.
    }
    return run;
  }

  private write(b: FinishedBuild, end: number): number | undefined {
    const dir = claimRunDir(b.root);
    if (dir === undefined) return undefined;
    const { graph, outcome } = b;
    const mask = new SecretMask(this.o.env);
    const n = outcome.order.length;
    const names = new Array<string>(n);
    const durationsMs = new Array<number>(n);
    const keys = new Array<string>(n);
    const letters = new Array<string>(n);
    const exitCodes: [number, number][] = [];
    const logs: [number, string][] = [];
    const reasons: [number, string][] = [];
    const clusterJobs: [number, string, number | null, number | null, number | null][] = [];
    const counts = { ran: 0, restored: 0, upToDate: 0, failed: 0, cannotRun: 0, skipped: 0 };
    let bytes = 0;
    let logsMade = false;
    for (let i = 0; i < n; i++) {
      const id = outcome.order[i] as number;
      const task = graph.tasks[id] as Task;
      const r = outcome.results.get(id);
      names[i] = task.name;
      keys[i] = r?.key ?? "";
      durationsMs[i] = r === undefined ? 0 : Math.round(r.durationMs);
      const s = r?.status ?? "skipped";
      letters[i] = STATUS_LETTER[s];
      countStatus(counts, s);
      if (r?.exitCode !== undefined) exitCodes.push([i, r.exitCode]);
      if (s === "failed" && r?.reason !== undefined) reasons.push([i, r.reason]);
      if (r?.job !== undefined) clusterJobs.push([i, r.job.id, r.job.elapsedSec ?? null, r.job.cpuSec ?? null, r.job.maxRssBytes ?? null]);
      if (r?.logPath !== undefined && (s === "ran" || s === "failed" || s === "restored")) {
        if (!logsMade) {
          mkdirSync(join(dir.path, LOGS_DIR));
          logsMade = true;
        }
        const kept = keepLog(r.logPath, join(dir.path, LOGS_DIR));
        if (kept !== undefined) {
          logs.push([i, kept.name]);
          bytes += kept.bytes;
        }
      }
    }
    const tasks: RunTasks = { version: RECORD_VERSION, names, status: letters.join(""), durationsMs, keys, exitCodes, logs, spans: this.spans(outcome.order), ...(this.jobs > 0 ? { jobs: this.jobs } : {}), ...(reasons.length > 0 ? { reasons } : {}), ...(clusterJobs.length > 0 ? { clusterJobs } : {}) };
    bytes += writeAtomic(dir.path, TASKS_FILE, JSON.stringify(tasks));
    bytes += writeAtomic(dir.path, ENV_FILE, `${JSON.stringify(this.environment(b, mask), null, 2)}\n`);
    const summary: RunSummary = {
      version: RECORD_VERSION,
      run: dir.run,
      args: this.o.args.map((a) => mask.word(a)),
      cwd: this.o.cwd,
      start: this.start,
      end,
      outcome: b.interrupted ? "interrupted" : outcome.ok ? "ok" : "failed",
      exitCode: b.interrupted ? 130 : outcome.ok ? 0 : 1,
      tasks: n,
      counts,
      bytes: 0,
    };
    // Its own size counted too (the number's digits barely move it).
    const text = JSON.stringify({ ...summary, bytes });
    writeAtomic(dir.path, SUMMARY_FILE, `${JSON.stringify({ ...summary, bytes: bytes + text.length + 1 })}\n`);
    return dir.run;
  }

  /** [task index, start, end, slot] for the tasks that have a timing, in task order. */
  private spans(order: readonly number[]): [number, number, number, number][] {
    // Where each task's span is (a task ends once: at most one each).
    let maxId = -1;
    for (const id of this.spanIds) if (id > maxId) maxId = id;
    const spanOf = new Int32Array(maxId + 1).fill(-1);
    this.spanIds.forEach((id, k) => (spanOf[id] = k));
    const timed: [number, TimedSpan][] = [];
    order.forEach((id, i) => {
      const k = id <= maxId ? (spanOf[id] as number) : -1;
      if (k >= 0) timed.push([i, { startMs: this.spanStarts[k] as number, endMs: this.spanEnds[k] as number }]);
    });
    const slots = assignSlots(timed.map(([, t]) => t));
    const ms = (clock: number) => Math.max(0, Math.round(clock - this.startClock));
    return timed.map(([i, t], k) => [i, ms(t.startMs), Math.max(ms(t.startMs), ms(t.endMs)), slots[k] as number]);
  }

  private environment(b: FinishedBuild, mask: SecretMask): RunEnvironment {
    const masked = new Set<string>();
    const record = (name: string, value: string): string => {
      const v = mask.value(name, value);
      if (v !== value) masked.add(name);
      return v;
    };
    const overrides: Record<string, string> = {};
    for (const [k, v] of splitWords(this.o.words).overrides) overrides[k] = record(k, v);
    let variables: Record<string, string> | null = null;
    if (b.variables !== undefined) {
      variables = {};
      // Masked already (flowfile-variables.ts): a masked one is listed as such.
      for (const [k, v] of b.variables) {
        variables[k] = v;
        if (v.includes("***")) masked.add(k);
      }
    }
    const values: Record<string, string | null> = {};
    const groups = new Map<string, { names: readonly string[]; tasks: string[] }>();
    for (const id of b.outcome.order) {
      const task = b.graph.tasks[id] as Task;
      if (task.env.length === 0) continue;
      const k = task.env.join("\0");
      let g = groups.get(k);
      if (g === undefined) {
        g = { names: task.env, tasks: [] };
        groups.set(k, g);
        for (const name of task.env) if (!(name in values)) values[name] = this.o.env[name] === undefined ? null : record(name, this.o.env[name]);
      }
      g.tasks.push(task.name);
    }
    return {
      version: RECORD_VERSION,
      flow: flowVersion(),
      node: process.version,
      os: `${platform()} ${release()}`,
      arch: arch(),
      variables,
      overrides,
      taskEnv: { values, groups: [...groups.values()] },
      masked: [...masked].sort(),
    };
  }
}

function countStatus(c: { ran: number; restored: number; upToDate: number; failed: number; cannotRun: number; skipped: number }, s: TaskStatus): void {
  if (s === "ran") c.ran++;
  else if (s === "restored") c.restored++;
  else if (s === "up-to-date") c.upToDate++;
  else if (s === "failed") c.failed++;
  else if (s === "cannot-run") c.cannotRun++;
  else c.skipped++;
}

/**
 * A recorded no-op, to be written again as a new run each time the watching
 * server answers the same build without running it (server/settled-noops.ts):
 * its summary, its tasks with every duration 0 and no timeline (nothing was
 * decided in this process), and its environment file as it was (the same
 * command line, directory and environment, so the same text).
 */
export interface RunTemplate {
  readonly summary: RunSummary;
  readonly tasks: string;
  readonly env: string;
}

/** Run `run`'s files as a template, or undefined when they cannot be read (or were not a no-op that succeeded). */
export function readRunTemplate(root: string, run: number): RunTemplate | undefined {
  const dir = ownRunsDir(root, false);
  if (dir === undefined) return undefined;
  try {
    const at = join(dir, String(run));
    const summary = JSON.parse(readFileSync(join(at, SUMMARY_FILE), "utf8")) as RunSummary;
    const tasks = JSON.parse(readFileSync(join(at, TASKS_FILE), "utf8")) as RunTasks;
    if (summary.outcome !== "ok" || summary.counts.upToDate !== summary.tasks || tasks.names.length !== summary.tasks) return undefined;
    const again: RunTasks = { ...tasks, durationsMs: tasks.durationsMs.map(() => 0), spans: [] };
    return { summary, tasks: JSON.stringify(again), env: readFileSync(join(at, ENV_FILE), "utf8") };
  } catch {
    return undefined;
  }
}

/** Writes `t` as a new run that started and ended at the given times; returns its number (undefined: history off or the disk refused). */
export function writeRepeatedRun(root: string, t: RunTemplate, start: number, end: number, env: NodeJS.ProcessEnv): number | undefined {
  const limits = historyLimits(env);
  let run: number | undefined;
  try {
    if (limits.maxRuns > 0) {
      const dir = claimRunDir(root);
      if (dir === undefined) return undefined;
      let bytes = writeAtomic(dir.path, TASKS_FILE, t.tasks);
      bytes += writeAtomic(dir.path, ENV_FILE, t.env);
      const summary: RunSummary = { ...t.summary, run: dir.run, start, end, bytes: 0 };
      const text = JSON.stringify({ ...summary, bytes });
      writeAtomic(dir.path, SUMMARY_FILE, `${JSON.stringify({ ...summary, bytes: bytes + text.length + 1 })}\n`);
      run = dir.run;
    }
    pruneRuns(root, limits);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === undefined) throw err;
  }
  return run;
}

/**
 * The next run's directory, made new: one more than the newest kept. mkdir
 * claims the number: a build that finishes at the same moment in another
 * checkout sharing nothing but this directory (never two in one workspace:
 * the lock) takes the next one.
 */
function claimRunDir(root: string): { run: number; path: string } | undefined {
  const dir = ownRunsDir(root, true);
  if (dir === undefined) return undefined;
  let run = (runNumbers(dir).at(-1) ?? 0) + 1;
  for (let tries = 0; tries < 100; tries++, run++) {
    const path = join(dir, String(run));
    try {
      mkdirSync(path);
      return { run, path };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  }
  return undefined;
}

/** Writes `name` in `dir` by a temporary name and a rename; returns its size. */
function writeAtomic(dir: string, name: string, text: string): number {
  const tmp = join(dir, `.${name}.${process.pid}.tmp`);
  // Encoded once: its length is the size (500 KB at 10,000 tasks; encoding it twice showed in a no-op's profile).
  const bytes = Buffer.from(text, "utf8");
  writeFileSync(tmp, bytes, { flag: "wx" });
  renameSync(tmp, join(dir, name));
  return bytes.length;
}

/**
 * This run's log, into the run's logs/: a hard link to the file in
 * `.flow/logs` (a regular file only: a link there is not followed), a copy
 * when linking fails (another file system, a link count at its limit).
 */
function keepLog(logPath: string, into: string): { name: string; bytes: number } | undefined {
  const st = lstatSync(logPath, { throwIfNoEntry: false });
  // A silent recipe leaves no log: nothing to keep.
  if (st === undefined || !st.isFile()) return undefined;
  const name = basename(logPath);
  const target = join(into, name);
  try {
    linkSync(logPath, target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return undefined;
    const tmp = join(into, `.${name}.${process.pid}.tmp`);
    try {
      copyFileSync(logPath, tmp);
      renameSync(tmp, target);
    } catch {
      rmSync(tmp, { force: true });
      return undefined;
    }
  }
  return { name, bytes: st.size };
}
