// Putting recorded outputs back on disk from the blob store.
//
// Everything read from the cache is untrusted (a remote tier feeds records
// through the same path), so:
// - every entry is checked before anything is written: a relative path with
//   no "."/".." segments, and for links a relative in-root target; one bad
//   entry refuses the whole record ("unsafe-path") and nothing is touched;
// - no write goes through an existing symlink: a link where an entry goes is
//   removed first, and a link (or file) where a parent directory should be
//   refuses the restore, since the link may point anywhere;
// - each file is streamed from its blob into a temp file in the destination
//   directory while hashed, checked against the entry, chmod'ed and renamed
//   into place, so a reader never sees a half-restored file and a corrupt
//   blob never reaches the workspace (it is deleted; the caller drops the
//   record and reruns the task).
// Directory modes are applied last, deepest first, so a read-only directory
// can still be filled.
import { chmodSync, closeSync, fchmodSync, lstatSync, mkdirSync, openSync, renameSync, rmSync, symlinkSync, writeSync, type Stats } from "node:fs";
import { randomBytes } from "node:crypto";
import { dirname, join, posix } from "node:path";
import { setImmediate as nextTurn } from "node:timers/promises";
import { outputEntryProblem, type OutputEntry } from "./action-record.js";
import type { BlobStore } from "./blob-store.js";
import { errnoCode, errorMessage } from "./cache-warning.js";
import type { ContentHash } from "./content-hash.js";
import { comparePaths, isSafeSymlinkTarget } from "./output-path.js";
import type { StatMemo } from "./stat-memo.js";

export type RestoreOutputsResult =
  | { ok: true }
  | { ok: false; reason: "blob-missing" | "blob-corrupt" | "unsafe-path" | "io"; path: string; message: string };

type RestoreFailure = Extract<RestoreOutputsResult, { ok: false }>;

const FILES_PER_TURN = 64;

export async function restoreOutputs(
  root: string,
  entries: readonly OutputEntry[],
  blobs: BlobStore,
  statMemo: StatMemo,
): Promise<RestoreOutputsResult> {
  for (const entry of entries) {
    const problem = entryProblem(entry);
    if (problem !== undefined) return fail("unsafe-path", String(entry.path), problem);
  }
  const sorted = [...entries].sort((a, b) => comparePaths(a.path, b.path));
  const realDirs = new Set<string>(["."]);
  const dirModes: [string, number][] = [];
  let sinceYield = 0;
  try {
    for (const entry of sorted) {
      const parentProblem = ensureRealDir(root, posix.dirname(entry.path), realDirs);
      if (parentProblem !== undefined) return parentProblem;
      const abs = join(root, entry.path);
      switch (entry.kind) {
        case "dir":
          restoreDir(abs);
          realDirs.add(entry.path);
          dirModes.push([abs, entry.mode]);
          break;
        case "symlink":
          removeExisting(abs);
          symlinkSync(entry.target as string, abs);
          break;
        case "file": {
          const failure = restoreFile(entry, abs, blobs, statMemo);
          if (failure !== undefined) return failure;
          if (++sinceYield >= FILES_PER_TURN) {
            sinceYield = 0;
            await nextTurn();
          }
          break;
        }
      }
    }
    for (const [abs, mode] of dirModes.reverse()) chmodSync(abs, mode);
    return { ok: true };
  } catch (err) {
    if (errnoCode(err) === undefined) throw err;
    const p = (err as { path?: unknown }).path;
    return fail("io", typeof p === "string" ? p : root, errorMessage(err));
  }
}

function entryProblem(entry: OutputEntry): string | undefined {
  const problem = outputEntryProblem(entry);
  if (problem !== undefined) return problem;
  if (entry.kind === "symlink" && !isSafeSymlinkTarget(entry.path, entry.target as string)) {
    return `symlink ${entry.path} -> ${JSON.stringify(entry.target)} is absolute or leaves the project`;
  }
  return undefined;
}

/** Makes sure every component of `relDir` is a real directory (created if missing, never a symlink). */
function ensureRealDir(root: string, relDir: string, realDirs: Set<string>): RestoreFailure | undefined {
  if (realDirs.has(relDir)) return undefined;
  let prefix = "";
  for (const seg of relDir.split("/")) {
    prefix = prefix === "" ? seg : `${prefix}/${seg}`;
    if (realDirs.has(prefix)) continue;
    const abs = join(root, prefix);
    const st = lstatSync(abs, { throwIfNoEntry: false });
    if (st === undefined) mkdirSync(abs);
    else if (st.isSymbolicLink()) return fail("unsafe-path", prefix, `${prefix} is a symlink; refusing to restore outputs through it`);
    else if (!st.isDirectory()) return fail("io", prefix, `${prefix} is in the way: it should be a directory`);
    realDirs.add(prefix);
  }
  return undefined;
}

function restoreDir(abs: string): void {
  const st = lstatSync(abs, { throwIfNoEntry: false });
  if (st?.isDirectory()) return;
  if (st !== undefined) rmSync(abs, { force: true }); // a file or a link: the link itself goes, never its target
  mkdirSync(abs);
}

/** Temp names unique per process without a getrandom per file: a random prefix, then a counter. */
const tmpPrefix = `.flow-tmp-${process.pid}-${randomBytes(6).toString("hex")}-`;
let tmpCount = 0;

function restoreFile(entry: OutputEntry, abs: string, blobs: BlobStore, statMemo: StatMemo): RestoreFailure | undefined {
  const hash = entry.hash as ContentHash;
  const tmp = join(dirname(abs), `${tmpPrefix}${++tmpCount}`);
  const fd = openSync(tmp, "wx", 0o600);
  let closed = false;
  let renamed = false;
  try {
    if (entry.data !== undefined) {
      // Kept in the record: checked like a blob (a damaged record is a miss, never a wrong file).
      if (!blobs.matches(hash, entry.data)) return fail("blob-corrupt", entry.path, `the bytes kept in the record for ${entry.path} do not hash to ${hash}`);
      writeAll(fd, entry.data);
    } else {
      const copied = blobs.copyVerified(hash, entry.size as number, fd);
      if (!copied.ok) return fail(copied.reason, entry.path, `blob ${hash} for ${entry.path} is ${copied.reason === "blob-missing" ? "missing" : "corrupt"}`);
    }
    fchmodSync(fd, entry.mode);
    closeSync(fd);
    closed = true;
    // rename replaces a file or a symlink itself (never writes through it); a directory
    // must go first, which the rename itself says (no lstat per file for the rare case).
    try {
      renameSync(tmp, abs);
    } catch (err) {
      const code = errnoCode(err);
      if (code !== "EISDIR" && code !== "ENOTEMPTY" && code !== "EEXIST") throw err;
      if (lstatSync(abs, { throwIfNoEntry: false })?.isDirectory() !== true) throw err;
      rmSync(abs, { recursive: true, force: true });
      renameSync(tmp, abs);
    }
    renamed = true;
    statMemo.remember(abs, lstatSync(abs), hash);
    return undefined;
  } finally {
    if (!closed) closeSync(fd);
    if (!renamed) rmSync(tmp, { force: true });
  }
}

function writeAll(fd: number, data: Uint8Array): void {
  let off = 0;
  while (off < data.length) off += writeSync(fd, data, off, data.length - off);
}

function removeExisting(abs: string): void {
  const st: Stats | undefined = lstatSync(abs, { throwIfNoEntry: false });
  if (st !== undefined) rmSync(abs, { recursive: st.isDirectory(), force: true });
}

function fail(reason: RestoreFailure["reason"], path: string, message: string): RestoreFailure {
  return { ok: false, reason, path, message };
}
