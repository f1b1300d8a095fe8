// What `flow clean` removes, decided before anything is touched (so that
// `--dry-run` prints exactly what a real run does).
//
// A path is removed only when every rule holds (RELIABILITY 26):
// - it is RECORDED: an entry of the action record of the task's last run in
//   this checkout (what flow itself put there), and
// - it is DECLARED: the task's current Flowfile declares it as an output, or
//   it lies inside a declared output directory;
// - it is canonical and relative (no `..`, not absolute): never outside the root;
// - no directory on the way to it, inside the root, is a symlink: nothing is
//   removed through a link. A path that is itself a symlink is removed as a
//   link, never followed;
// - a directory is removed only if recorded as a directory inside (or as) a
//   declared output directory, and only once empty: its recorded entries go
//   first, with rmdir, never a recursive delete, so a file flow did not
//   record survives (and keeps its directory);
// - a file tracked by git is removed only when its own path is a declared
//   output (not merely inside a declared directory);
// - a directory that held only what is removed (`build/` once its objects
//   are gone) is removed too, up to the root, as make's `rm -rf build` would
//   leave things, unless the Flowfile names it (a target, such as the
//   order-only `build:` that makes it, or a declared output): it is lstat'ed
//   and listed like the rest, and a link is never one.
// Whatever breaks a rule is listed as kept, with the reason.
import { posix } from "node:path";
import { comparePaths, isSafeRelativePath, type OutputEntry } from "@flow/cache";
import type { OutputDecl, Task } from "@flow/graph";

export type DiskKind = "file" | "dir" | "symlink" | "other" | "missing";

/** The disk as the planner sees it; project-relative paths, never followed. */
export interface CleanDisk {
  /** lstat: a symlink is "symlink" whatever it points at. */
  kind(path: string): DiskKind;
  /** Names inside a directory. */
  list(path: string): string[];
}

export interface TaskRecord {
  readonly task: Pick<Task, "name" | "outputs">;
  /** The last-run key in this checkout, if any. */
  readonly key: string | undefined;
  /** The outputs recorded under that key; undefined when there is no usable record. */
  readonly entries: readonly OutputEntry[] | undefined;
}

export type RemovalKind = "file" | "symlink" | "dir";

export interface Removal {
  readonly path: string;
  readonly kind: RemovalKind;
  readonly task: string;
}

export type KeptReason = "not-declared" | "unsafe-path" | "through-symlink" | "not-a-declared-dir" | "kind-changed" | "tracked-by-git" | "not-empty";

export interface Kept {
  readonly path: string;
  readonly reason: KeptReason;
  readonly task: string;
  /** Recorded entries below a symlinked directory, for "through-symlink". */
  readonly count?: number;
}

export interface CleanPlan {
  /** Files and links first (path order), then directories, deepest first. */
  readonly remove: readonly Removal[];
  readonly kept: readonly Kept[];
  /** Tasks with declared outputs but no record of a run in this checkout: nothing of theirs is touched. */
  readonly unrecorded: readonly string[];
  /** Cache entries to delete (`--cache`): the last-run key of each selected task. */
  readonly cacheEntries: readonly { readonly task: string; readonly key: string }[];
}

/**
 * `keep`: paths the Flowfile names (every task's name and declared outputs,
 * of the whole graph): a directory among them is never removed for being
 * emptied.
 */
export function planClean(
  records: readonly TaskRecord[],
  disk: CleanDisk,
  tracked: ReadonlySet<string> | undefined,
  withCache: boolean,
  keep: ReadonlySet<string> = new Set(),
): CleanPlan {
  const files: Removal[] = [];
  const dirs: Removal[] = [];
  const kept: Kept[] = [];
  const unrecorded: string[] = [];
  const cacheEntries: { task: string; key: string }[] = [];
  const sorted = [...records].sort((a, b) => comparePaths(a.task.name, b.task.name));
  for (const { task, key, entries } of sorted) {
    if (withCache && key !== undefined) cacheEntries.push({ task: task.name, key });
    if (entries === undefined) {
      if (task.outputs.length > 0) unrecorded.push(task.name);
      continue;
    }
    const belowLink = new Map<string, number>();
    for (const e of [...entries].sort((a, b) => comparePaths(a.path, b.path))) {
      const keep = (reason: KeptReason) => void kept.push({ path: e.path, reason, task: task.name });
      const decl = declaring(task.outputs, e.path);
      if (decl === undefined) {
        keep("not-declared");
        continue;
      }
      if (!isCanonical(e.path)) {
        keep("unsafe-path");
        continue;
      }
      const parent = parentProblem(e.path, disk);
      if (parent !== undefined) {
        if (parent.symlink !== undefined) belowLink.set(parent.symlink, (belowLink.get(parent.symlink) ?? 0) + 1);
        continue; // a missing parent: nothing there to remove
      }
      const exact = decl.path === e.path;
      const here = disk.kind(e.path);
      switch (here) {
        case "missing":
          continue;
        case "symlink":
        case "file":
        case "other":
          if (here !== "symlink" && e.kind === "dir") keep("kind-changed");
          else if (tracked?.has(e.path) && !exact) keep("tracked-by-git");
          else files.push({ path: e.path, kind: here === "symlink" ? "symlink" : "file", task: task.name });
          continue;
        case "dir":
          if (e.kind !== "dir" || !decl.isDir) keep("not-a-declared-dir");
          else dirs.push({ path: e.path, kind: "dir", task: task.name });
          continue;
      }
    }
    for (const [link, count] of belowLink) kept.push({ path: link, reason: "through-symlink", task: task.name, count });
  }
  const remove = [...files, ...emptiedDirs(dirs, files, disk, kept)];
  return { remove: [...remove, ...emptiedParents(remove, disk, keep)], kept, unrecorded, cacheEntries };
}

/** Canonical, relative, inside: what the record decoder promises, checked again here (and again before each removal). */
export function isCanonical(path: string): boolean {
  return isSafeRelativePath(path) && posix.normalize(path) === path;
}

/**
 * Looks at every directory between the root and `path` (not the path itself).
 * `symlink`: the first one that is a link; `missing`: one is absent or not a directory.
 */
export function parentProblem(path: string, disk: CleanDisk): { symlink?: string; missing?: true } | undefined {
  const segs = path.split("/");
  for (let i = 1; i < segs.length; i++) {
    const p = segs.slice(0, i).join("/");
    const k = disk.kind(p);
    if (k === "symlink") return { symlink: p };
    if (k !== "dir") return { missing: true };
  }
  return undefined;
}

function declaring(outputs: readonly OutputDecl[], path: string): OutputDecl | undefined {
  return outputs.find((o) => o.path === path) ?? outputs.find((o) => o.isDir && path.startsWith(`${o.path}/`));
}

/** The recorded directories that will be empty once everything planned before them is gone; deepest first. */
function emptiedDirs(dirs: readonly Removal[], files: readonly Removal[], disk: CleanDisk, kept: Kept[]): Removal[] {
  const gone = new Set(files.map((f) => f.path));
  const out: Removal[] = [];
  const deepestFirst = [...dirs].sort((a, b) => depth(b.path) - depth(a.path) || comparePaths(a.path, b.path));
  for (const d of deepestFirst) {
    if (disk.list(d.path).every((name) => gone.has(`${d.path}/${name}`))) {
      gone.add(d.path);
      out.push(d);
    } else {
      kept.push({ path: d.path, reason: "not-empty", task: d.task });
    }
  }
  return out;
}

/**
 * The directories above what is removed that hold nothing else (deepest
 * first, so `out/a/` empties `out/`), except those the Flowfile names; each
 * is credited to the task whose output emptied it.
 */
function emptiedParents(remove: readonly Removal[], disk: CleanDisk, keep: ReadonlySet<string>): Removal[] {
  const gone = new Set(remove.map((r) => r.path));
  const above = new Map<string, string>();
  for (const r of remove) {
    for (let d = posix.dirname(r.path); d !== "." && d !== "/" && !above.has(d); d = posix.dirname(d)) above.set(d, r.task);
  }
  const out: Removal[] = [];
  for (const d of [...above.keys()].sort((a, b) => depth(b) - depth(a) || comparePaths(a, b))) {
    if (gone.has(d) || keep.has(d) || d === ".flow" || !isCanonical(d)) continue;
    // lstat: a link (or anything but a real directory) is never removed for being "emptied".
    if (disk.kind(d) !== "dir" || parentProblem(d, disk) !== undefined) continue;
    if (disk.list(d).every((name) => gone.has(`${d}/${name}`))) {
      gone.add(d);
      out.push({ path: d, kind: "dir", task: above.get(d) as string });
    }
  }
  return out;
}

function depth(path: string): number {
  return path.split("/").length;
}
