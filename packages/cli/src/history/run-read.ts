// Reading the run history back, for `flow runs`, `flow runs show` and
// `flow log`. A run directory cut short (no summary) or written by another
// version of flow is skipped when listing, and named as such when asked for.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runsDir } from "../run/durations.js";
import { ENV_FILE, keptRuns, RECORD_VERSION, statusOfLetter, SUMMARY_FILE, TASKS_FILE } from "./run-files.js";
import type { RunEnvironment, RunSummary, RunTasks } from "./run-record.js";
import type { TaskStatus } from "@flow/graph";

/** The summaries of the runs kept, newest first, and the numbers of those that could not be read. */
export function listRuns(root: string): { readonly runs: RunSummary[]; readonly unreadable: number[] } {
  const runs: RunSummary[] = [];
  const unreadable: number[] = [];
  for (const n of keptRuns(root).reverse()) {
    const s = readSummary(root, n);
    if (s === undefined) unreadable.push(n);
    else runs.push(s);
  }
  return { runs, unreadable };
}

export function readSummary(root: string, run: number): RunSummary | undefined {
  const s = readJson(join(runsDir(root), String(run), SUMMARY_FILE)) as RunSummary | undefined;
  return s !== undefined && s.version === RECORD_VERSION && s.run === run && Array.isArray(s.args) && typeof s.counts === "object" && s.counts !== null ? s : undefined;
}

export function readTasks(root: string, run: number): RunTasks | undefined {
  const t = readJson(join(runsDir(root), String(run), TASKS_FILE)) as RunTasks | undefined;
  if (t === undefined || t.version !== RECORD_VERSION || !Array.isArray(t.names)) return undefined;
  const n = t.names.length;
  return typeof t.status === "string" && t.status.length === n && t.durationsMs.length === n && t.keys.length === n ? t : undefined;
}

export function readEnvironment(root: string, run: number): RunEnvironment | undefined {
  const e = readJson(join(runsDir(root), String(run), ENV_FILE)) as RunEnvironment | undefined;
  return e !== undefined && e.version === RECORD_VERSION ? e : undefined;
}

/** One task of a run, as `flow runs show` prints it. */
export interface RunTaskRow {
  readonly name: string;
  readonly status: TaskStatus;
  readonly durationMs: number;
  /** hit: restored or up to date; miss: its recipe ran (or failed running); none: never decided. */
  readonly cache: "hit" | "miss" | "none";
  readonly key: string | null;
  readonly exitCode?: number;
  /** Why it failed (task-result.ts FailureReason), for a failed task. */
  readonly reason?: string;
  /** The cluster job that ran it, and its run time in seconds (null: not reported). */
  readonly job?: { readonly id: string; readonly elapsedSec: number | null; readonly cpuSec?: number | null; readonly maxRssBytes?: number | null };
  /** The log kept in the run directory, relative to it. */
  readonly log?: string;
}

export function taskRows(t: RunTasks): RunTaskRow[] {
  const exit = new Map(t.exitCodes);
  const logs = new Map(t.logs);
  const reasons = new Map(t.reasons ?? []);
  // cpuSec, maxRssBytes: null when the cluster keeps no accounting; absent in records older than them.
  const jobs = new Map((t.clusterJobs ?? []).map(([i, id, sec, cpu, rss]) => [i, { id, elapsedSec: sec, ...(cpu !== undefined ? { cpuSec: cpu } : {}), ...(rss !== undefined ? { maxRssBytes: rss } : {}) }] as const));
  return t.names.map((name, i) => {
    const status = statusOfLetter(t.status[i] as string) ?? "skipped";
    const code = exit.get(i);
    const log = logs.get(i);
    const reason = reasons.get(i);
    const job = jobs.get(i);
    return {
      name,
      status,
      durationMs: t.durationsMs[i] as number,
      cache: status === "restored" || status === "up-to-date" ? "hit" : status === "ran" || (status === "failed" && code !== undefined) ? "miss" : "none",
      key: t.keys[i] === "" ? null : (t.keys[i] as string),
      ...(code !== undefined ? { exitCode: code } : {}),
      ...(reason !== undefined ? { reason } : {}),
      ...(job !== undefined ? { job } : {}),
      ...(log !== undefined ? { log: `logs/${log}` } : {}),
    };
  });
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as unknown;
  } catch {
    return undefined;
  }
}
