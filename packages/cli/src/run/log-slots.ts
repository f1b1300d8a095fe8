// Where a recipe's stdout and stderr go while it runs: a "slot", an empty
// file reused from recipe to recipe, moved to the task's log path only when
// the recipe printed something (or did not succeed).
//
// Why: most recipes print nothing, and creating a file per task (the log,
// opened with O_CREAT and left empty) was one of the costs of a full build:
// on ext4 a create is an inode, a directory entry and journal work, dearer
// still right after a clean removed thousands of files. A slot is created
// once and truncated per recipe (O_TRUNC of an empty file is nearly free);
// a silent recipe leaves no file behind, a talkative one costs one rename,
// about what the create cost before.
//
// What is kept as it was: the recipe's stdout and stderr are a regular file
// (not a pipe: no byte passes through any event loop, a program may seek or
// stat it), truncated at the start; a failed recipe always has its log at
// its log path, even an empty one, so the failure line can name it; a
// stale log from an earlier run never passes for this run's (a silent run
// removes it).
//
// The one danger of reuse: something the recipe started in the background
// may still hold the slot after the shell exits, and would write into the
// next recipe's log. So a slot is reused only when the recipe's process
// group is gone (one kill(-pgid, 0)) and nobody signalled it; otherwise it
// goes to the log path like a talkative recipe's, and a new slot is made.
//
// Slots live in `<log dir>/.slots/<pid>-<n>`, one set per process (the
// spawn helper, or flow itself when it spawns directly). A crash leaves a
// few; the next process to open the directory removes those of dead pids.
// Only node's builtins here: the spawn helper loads this file.
import { mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";

/** A slot in use by one recipe: its descriptor (the recipe's stdout and stderr) and its path. */
export interface OpenSlot {
  readonly fd: number;
  readonly path: string;
}

export class LogSlots {
  /** Empty slots ready for reuse, by slot directory. */
  private readonly free = new Map<string, string[]>();
  private made = 0;
  /** Slot directories already swept of dead processes' slots. */
  private readonly swept = new Set<string>();

  constructor(private readonly pid: number = process.pid) {}

  /** A slot for a recipe whose log goes to `logPath`; the caller closes the fd once the recipe has it. */
  open(logPath: string): OpenSlot {
    const dir = join(dirname(logPath), ".slots");
    const free = this.free.get(dir);
    const reused = free?.pop();
    if (reused !== undefined) {
      try {
        return { fd: openSync(reused, "w"), path: reused };
      } catch {
        // Removed under us (a `flow clean` of the logs): make a new one below.
      }
    }
    if (!this.swept.has(dir)) {
      // Once per directory and process: slots a crashed process left behind.
      this.swept.add(dir);
      sweepDead(dir, this.pid);
    }
    const path = join(dir, `${this.pid}-${++this.made}`);
    try {
      return { fd: openSync(path, "w"), path };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      mkdirSync(dir, { recursive: true });
      return { fd: openSync(path, "w"), path };
    }
  }

  /**
   * The recipe's shell has exited. `keep`: the recipe did not succeed, or
   * something of it may still be writing (see above). Returns whether a log
   * is now at `logPath`.
   */
  settle(slot: OpenSlot, logPath: string, keep: boolean): boolean {
    let size: number;
    try {
      size = statSync(slot.path).size;
    } catch {
      // The slot is gone (logs removed mid-build): no output to keep, no slot to reuse.
      removeStale(logPath);
      return false;
    }
    if (size > 0 || keep) {
      renameSync(slot.path, logPath);
      return true;
    }
    removeStale(logPath);
    const dir = dirname(slot.path);
    let free = this.free.get(dir);
    if (free === undefined) {
      free = [];
      this.free.set(dir, free);
    }
    free.push(slot.path);
    return false;
  }

  /** Removes this process's empty slots (at exit); a slot still in use is left alone. */
  removeFree(): void {
    for (const paths of this.free.values()) for (const p of paths) rmSync(p, { force: true });
    this.free.clear();
  }
}

/** An earlier run's log must not pass for this run's. */
function removeStale(logPath: string): void {
  rmSync(logPath, { force: true });
}

/** Whether the recipe's process group still has a member (an orphan that may write to its slot). */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Slots of processes that are gone (a crash, a SIGKILL): nobody will reuse or move them. */
function sweepDead(dir: string, self: number): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(name.slice(0, name.indexOf("-")));
    if (!Number.isInteger(pid) || pid <= 0 || pid === self || processAlive(pid)) continue;
    rmSync(join(dir, name), { force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
