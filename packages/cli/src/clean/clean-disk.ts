// The real disk under `flow clean`: lstat-only probing, and removal that
// checks every path again right before touching it (the plan may be a few
// milliseconds old, and a path is only as safe as its parents are now).
import { lstatSync, readdirSync, rmdirSync, unlinkSync } from "node:fs";
import { resolve, sep } from "node:path";
import { isCanonical, parentProblem, type CleanDisk, type CleanPlan, type DiskKind, type Removal } from "./clean-plan.js";

export class NodeCleanDisk implements CleanDisk {
  constructor(private readonly root: string) {}

  kind(path: string): DiskKind {
    const st = lstatSync(this.abs(path), { throwIfNoEntry: false });
    if (st === undefined) return "missing";
    if (st.isSymbolicLink()) return "symlink";
    if (st.isDirectory()) return "dir";
    return st.isFile() ? "file" : "other";
  }

  list(path: string): string[] {
    return readdirSync(this.abs(path));
  }

  /** Absolute path of a canonical relative one, refusing anything that would leave the root. */
  abs(path: string): string {
    const a = resolve(this.root, path);
    if (!isCanonical(path) || !a.startsWith(this.root + sep)) throw new Error(`clean: refusing a path outside the root: ${JSON.stringify(path)}`);
    return a;
  }
}

export interface CleanFailure {
  readonly path: string;
  readonly message: string;
}

/** Performs the plan's removals in order; returns what was removed and what could not be. */
export function executeClean(plan: CleanPlan, disk: NodeCleanDisk): { removed: Removal[]; failed: CleanFailure[] } {
  const removed: Removal[] = [];
  const failed: CleanFailure[] = [];
  for (const r of plan.remove) {
    const problem = recheck(r, disk);
    if (problem !== undefined) {
      failed.push({ path: r.path, message: problem });
      continue;
    }
    try {
      // unlink removes a link itself, never its target; rmdir removes only an empty directory.
      if (r.kind === "dir") rmdirSync(disk.abs(r.path));
      else unlinkSync(disk.abs(r.path));
      removed.push(r);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === undefined) throw err;
      failed.push({ path: r.path, message: code === "ENOTEMPTY" ? "no longer empty" : (err as Error).message });
    }
  }
  return { removed, failed };
}

function recheck(r: Removal, disk: NodeCleanDisk): string | undefined {
  if (!isCanonical(r.path)) return "not a canonical path inside the root";
  const parent = parentProblem(r.path, disk);
  if (parent?.symlink !== undefined) return `${parent.symlink} became a symlink`;
  if (parent?.missing) return "already gone";
  const now = disk.kind(r.path);
  if (now === "missing") return "already gone";
  const expected = r.kind === "file" ? ["file", "other"] : [r.kind];
  return expected.includes(now) ? undefined : `changed from ${r.kind} to ${now} since it was checked`;
}
