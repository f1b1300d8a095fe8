// Which bytes `flow ui` may show: a file the Flowfile names as a task's
// declared output or input, inside the project, reached without leaving it.
// The path is matched as a string against the graph's paths first (nothing
// else is even looked at), then walked from the root one component at a
// time with lstat: a symlink is followed only when its target, resolved, is
// still inside the project; the file is opened with O_NOFOLLOW and must be a
// regular file. Anything else is refused before a byte is read.
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, realpathSync } from "node:fs";
import { join, sep } from "node:path";
import type { TaskGraph } from "@flow/graph";

/** Bytes served for a preview at most; the page says when a file is longer. */
export const PREVIEW_MAX_BYTES = 1024 * 1024;

export type FileRead =
  | { readonly ok: true; readonly bytes: Buffer; readonly size: number; readonly truncated: boolean }
  | { readonly ok: false; readonly status: 403 | 404; readonly message: string };

/** The graph's file paths: every declared output and every input, project-relative. */
export function taskFiles(graph: TaskGraph): ReadonlySet<string> {
  const files = new Set<string>();
  for (const t of graph.tasks) {
    for (const o of t.outputs) if (!o.isDir) files.add(o.path);
    for (const i of t.inputs) files.add(i);
  }
  return files;
}

/** A plain relative path: no `..`, `.` or empty component, not absolute, no backslash or NUL. */
export function isPlainPath(path: string): boolean {
  if (path === "" || path.startsWith("/") || path.includes("\\") || path.includes("\0")) return false;
  return path.split("/").every((c) => c !== "" && c !== "." && c !== "..");
}

/** The real path of `path` under `root`, or why not; never follows a link out of the project. */
export function resolveInside(root: string, path: string): { ok: true; real: string } | { ok: false; status: 403 | 404; message: string } {
  const top = realpathSync(root);
  let at = top;
  for (const part of path.split("/")) {
    const next = join(at, part);
    const st = lstatSync(next, { throwIfNoEntry: false });
    if (st === undefined) return { ok: false, status: 404, message: `${path} is not on disk` };
    if (st.isSymbolicLink()) {
      let target: string;
      try {
        target = realpathSync(next);
      } catch {
        return { ok: false, status: 404, message: `${path}: a dangling symlink` };
      }
      if (target !== top && !target.startsWith(top + sep)) return { ok: false, status: 403, message: `${path}: a symlink that leads out of the project` };
      at = target;
    } else at = next;
  }
  return { ok: true, real: at };
}

/** The first PREVIEW_MAX_BYTES of a task's file, when `path` is one (see above). */
export function readTaskFile(root: string, graph: TaskGraph, path: string): FileRead {
  if (!isPlainPath(path)) return { ok: false, status: 403, message: "only a project-relative path without '..' can be read" };
  if (!taskFiles(graph).has(path)) return { ok: false, status: 404, message: `${path} is not a declared output or input of a task in the Flowfile` };
  const at = resolveInside(root, path);
  if (!at.ok) return at;
  let fd: number;
  try {
    fd = openSync(at.real, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    return { ok: false, status: 404, message: `${path}: ${(e as NodeJS.ErrnoException).code ?? "cannot be opened"}` };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { ok: false, status: 404, message: `${path} is not a regular file` };
    const n = Math.min(st.size, PREVIEW_MAX_BYTES);
    const bytes = Buffer.alloc(n);
    let got = 0;
    while (got < n) {
      const r = readSync(fd, bytes, got, n - got, got);
      if (r === 0) break;
      got += r;
    }
    return { ok: true, bytes: bytes.subarray(0, got), size: st.size, truncated: st.size > got };
  } finally {
    closeSync(fd);
  }
}
