// How much history a workspace keeps: at most FLOW_HISTORY_MAX_RUNS runs
// (default 50) and FLOW_HISTORY_MAX_SIZE bytes of them (default 256M), the
// oldest pruned at the end of each build and by `flow cache gc`
// (docs/history.md). The newest run is kept even when it alone passes the
// size: the build just made is the one most likely to be looked at.
import { lstatSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { formatSize, parseSize } from "@flow/cache";
import { runsDir } from "../run/durations.js";
import { runNumbers, SUMMARY_FILE } from "./run-files.js";

export const DEFAULT_MAX_RUNS = 50;
export const DEFAULT_MAX_HISTORY_BYTES = 256 * 1024 ** 2;

export interface HistoryLimits {
  /** 0: no history is written, and gc removes what there is. */
  readonly maxRuns: number;
  readonly maxBytes: number;
  /** What was wrong with the environment's values (they were replaced by the defaults). */
  readonly complaints: readonly string[];
}

/** FLOW_HISTORY_MAX_RUNS and FLOW_HISTORY_MAX_SIZE, the defaults where unset or unreadable. */
export function historyLimits(env: NodeJS.ProcessEnv): HistoryLimits {
  const complaints: string[] = [];
  let maxRuns = DEFAULT_MAX_RUNS;
  const runsText = env["FLOW_HISTORY_MAX_RUNS"];
  if (runsText !== undefined && runsText !== "") {
    const n = parseCount(runsText);
    if (n === undefined) complaints.push(`FLOW_HISTORY_MAX_RUNS=${JSON.stringify(runsText)} is not a whole number; keeping ${DEFAULT_MAX_RUNS} runs`);
    else maxRuns = n;
  }
  let maxBytes = DEFAULT_MAX_HISTORY_BYTES;
  const sizeText = env["FLOW_HISTORY_MAX_SIZE"];
  if (sizeText !== undefined && sizeText !== "") {
    const n = parseSize(sizeText);
    if (n === undefined) complaints.push(`FLOW_HISTORY_MAX_SIZE=${JSON.stringify(sizeText)} is not a size (e.g. 100M, 1G, or bytes); keeping ${formatSize(DEFAULT_MAX_HISTORY_BYTES)}`);
    else maxBytes = n;
  }
  return { maxRuns, maxBytes, complaints };
}

/** A whole number of at least 0, or undefined. */
export function parseCount(text: string): number | undefined {
  return /^[0-9]{1,9}$/.test(text.trim()) ? Number(text.trim()) : undefined;
}

export interface PruneReport {
  readonly removed: readonly number[];
  readonly kept: number;
  readonly bytesKept: number;
}

/**
 * Removes the oldest runs until at most `maxRuns` are left and their sizes
 * add up to at most `maxBytes` (the newest always stays unless maxRuns is 0).
 * Reads each kept run's summary for its size (50 small files by default);
 * a run without a readable summary (one cut short) is measured on disk.
 */
export function pruneRuns(root: string, limits: { readonly maxRuns: number; readonly maxBytes: number }): PruneReport {
  const dir = runsDir(root);
  // A link in the way is never followed, for reading or removing.
  if (lstatSync(dir, { throwIfNoEntry: false })?.isDirectory() !== true) return { removed: [], kept: 0, bytesKept: 0 };
  const runs = runNumbers(dir);
  const removed: number[] = [];
  let cut = Math.max(0, runs.length - limits.maxRuns);
  // Newest first, adding sizes until the bound: everything older goes.
  let total = 0;
  for (let i = runs.length - 1; i >= cut; i--) {
    const size = runBytes(join(dir, String(runs[i])));
    if (i < runs.length - 1 && total + size > limits.maxBytes) {
      cut = i + 1;
      break;
    }
    total += size;
  }
  for (const n of runs.slice(0, cut)) {
    rmSync(join(dir, String(n)), { recursive: true, force: true });
    removed.push(n);
  }
  return { removed, kept: runs.length - cut, bytesKept: total };
}

/** A run directory's size: its summary's figure, else what is on disk. */
function runBytes(path: string): number {
  try {
    const s = JSON.parse(readFileSync(join(path, SUMMARY_FILE), "utf8")) as { bytes?: unknown };
    if (typeof s.bytes === "number" && Number.isFinite(s.bytes) && s.bytes >= 0) return s.bytes;
  } catch {
    // Cut short or damaged: measured below.
  }
  return diskBytes(path);
}

function diskBytes(path: string): number {
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (st === undefined) return 0;
  if (!st.isDirectory()) return st.size;
  let total = 0;
  let names: string[] = [];
  try {
    names = readdirSync(path);
  } catch {
    return 0;
  }
  for (const name of names) total += diskBytes(join(path, name));
  return total;
}
