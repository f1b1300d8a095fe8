// How long each task's recipe took the last time it ran, by task name: what
// the live display's ETA and the critical-path scheduler weigh tasks by.
//
// One small file per workspace, `.flow/runs/durations.json`, rewritten after
// each build that ran something (write to a temporary name, then rename: a
// crash leaves the old file or the new one, never half of one). It is a
// hint, never a source of truth: a missing, unreadable or malformed file is
// an empty map, and nothing a build decides depends on it.
//
// Not kept in the action cache's records: those are filed by key, and the
// scheduler needs a task's duration before its key is known (its inputs may
// not exist yet); and a shared cache's durations are another machine's.
import { lstatSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureStateDir } from "./state-dir.js";

const FILE = "durations.json";
const VERSION = 1;

/** `.flow/runs` of a workspace root: where the run history and the durations live. */
export function runsDir(root: string): string {
  return join(root, ".flow", "runs");
}

/** Each task's last recorded recipe duration in ms; empty when there is no record. */
export function readDurations(root: string): Map<string, number> {
  let text: string;
  try {
    text = readFileSync(join(runsDir(root), FILE), "utf8");
  } catch {
    return new Map();
  }
  try {
    const doc = JSON.parse(text) as { version?: unknown; tasks?: unknown };
    if (doc.version !== VERSION || typeof doc.tasks !== "object" || doc.tasks === null) return new Map();
    const out = new Map<string, number>();
    for (const [name, ms] of Object.entries(doc.tasks as Record<string, unknown>)) {
      if (typeof ms === "number" && Number.isFinite(ms) && ms >= 0) out.set(name, ms);
    }
    return out;
  } catch {
    return new Map(); // a torn or foreign file: a hint lost, nothing else
  }
}

/**
 * Merges `ran` (task name, recipe ms) into the stored durations. Tasks not in
 * `ran` keep their last figure. Best effort: a write that fails (read-only
 * disk, no room) loses a hint and says nothing.
 */
export function recordDurations(root: string, ran: Iterable<readonly [string, number]>, known?: Map<string, number>): void {
  const merged = known ?? readDurations(root);
  let changed = false;
  for (const [name, ms] of ran) {
    merged.set(name, Math.round(ms));
    changed = true;
  }
  if (!changed) return;
  const dir = runsDir(root);
  const tasks: Record<string, number> = {};
  for (const name of [...merged.keys()].sort()) tasks[name] = merged.get(name) as number;
  try {
    ensureStateDir(root);
    mkdirSync(dir, { recursive: true });
    // A link put where the directory should be is never written through.
    if (!lstatSync(dir).isDirectory()) return;
    const tmp = join(dir, `.${FILE}.${process.pid}`);
    writeFileSync(tmp, `${JSON.stringify({ version: VERSION, tasks })}\n`);
    renameSync(tmp, join(dir, FILE));
  } catch {
    // A hint lost: the next build weighs these tasks as unknown (the median).
  }
}
