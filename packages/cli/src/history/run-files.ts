// The files of the run history (docs/history.md): where they are, and which
// runs are kept. Shared by the recorder, the bounds and the commands.
import { lstatSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { ensureStateDir } from "../run/state-dir.js";
import type { TaskStatus } from "@flow/graph";
import { runsDir } from "../run/durations.js";

export const RECORD_VERSION = 1;
export const SUMMARY_FILE = "run.json";
export const TASKS_FILE = "tasks.json";
export const ENV_FILE = "env.json";
export const LOGS_DIR = "logs";

/** One letter per task status in tasks.json's `status` string. */
export const STATUS_LETTER: Readonly<Record<TaskStatus, string>> = {
  ran: "R",
  restored: "C",
  "up-to-date": "U",
  failed: "F",
  "cannot-run": "N",
  skipped: "S",
};
const LETTER_STATUS = new Map(Object.entries(STATUS_LETTER).map(([s, l]) => [l, s as TaskStatus]));

export function statusOfLetter(letter: string): TaskStatus | undefined {
  return LETTER_STATUS.get(letter);
}

/**
 * `.flow/runs` when it is a real directory (made if missing); undefined when
 * a link or a file is in the way of it or of `.flow`: nothing is written there.
 */
export function ownRunsDir(root: string, make: boolean): string | undefined {
  const dir = runsDir(root);
  if (make) {
    ensureStateDir(root);
    if (!realDir(join(root, ".flow"))) return undefined;
    try {
      mkdirSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  }
  return realDir(join(root, ".flow")) && realDir(dir) ? dir : undefined;
}

function realDir(path: string): boolean {
  return lstatSync(path, { throwIfNoEntry: false })?.isDirectory() === true;
}

/** The numbers of the run directories kept, oldest first. */
export function runNumbers(dir: string): number[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const name of names) if (/^[1-9][0-9]{0,9}$/.test(name)) out.push(Number(name));
  return out.sort((a, b) => a - b);
}

/** The runs kept in a workspace, oldest first; none when a link or a file is in place of `.flow` or `.flow/runs` (never read through). */
export function keptRuns(root: string): number[] {
  const dir = ownRunsDir(root, false);
  return dir === undefined ? [] : runNumbers(dir);
}
