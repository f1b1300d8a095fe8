// "Are the recorded outputs still on disk as recorded?" - the question that
// decides between up-to-date and restore. Files go through the stat memo,
// so on a no-op build this is one lstat + one stat per output, no reads.
import { lstatSync, readdirSync, readlinkSync, type Stats } from "node:fs";
import { join } from "node:path";
import type { OutputEntry } from "./action-record.js";
import { errnoCode } from "./cache-warning.js";
import { isSafeRelativePath } from "./output-path.js";
import type { StatMemo } from "./stat-memo.js";

export function outputsMatch(root: string, entries: readonly OutputEntry[], statMemo: StatMemo): boolean {
  // Recorded children per recorded directory: a declared output directory
  // holding anything more than what was recorded (a stale file from an
  // earlier run, a stray edit) does not match, or the build would keep a
  // file a clean build would not make.
  const children = new Map<string, number>();
  for (const entry of entries) {
    if (entry.kind === "dir") children.set(entry.path, 0);
  }
  for (const entry of entries) {
    const slash = entry.path.lastIndexOf("/");
    const parent = slash < 0 ? undefined : entry.path.slice(0, slash);
    if (parent !== undefined && children.has(parent)) children.set(parent, (children.get(parent) as number) + 1);
  }
  for (const entry of entries) {
    if (!isSafeRelativePath(entry.path)) return false;
    const abs = join(root, entry.path);
    const st = lstatOrUndefined(abs);
    if (st === undefined || !entryMatches(entry, abs, st, statMemo)) return false;
    if (entry.kind === "dir" && readdirSync(abs).length !== children.get(entry.path)) return false;
  }
  return true;
}

function entryMatches(entry: OutputEntry, abs: string, st: Stats, statMemo: StatMemo): boolean {
  switch (entry.kind) {
    case "dir":
      return st.isDirectory() && (st.mode & 0o777) === entry.mode;
    case "symlink":
      return st.isSymbolicLink() && readlinkSync(abs) === entry.target;
    case "file": {
      // lstat first: a symlink to a file with the right bytes is not the recorded file.
      if (!st.isFile()) return false;
      // For a regular file the lstat is the stat: handed over, not taken again.
      const state = statMemo.fileState(abs, st);
      return state.kind === "file" && state.hash === entry.hash && state.mode === entry.mode;
    }
  }
}

function lstatOrUndefined(abs: string): Stats | undefined {
  try {
    return lstatSync(abs, { throwIfNoEntry: false });
  } catch (err) {
    // ENOTDIR and friends: a component of the path is not a directory, so the entry is not there.
    if (errnoCode(err) !== undefined) return undefined;
    throw err;
  }
}
