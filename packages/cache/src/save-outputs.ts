// Turning a finished task's declared outputs into OutputEntry[] and blobs.
//
// Symlink policy (the same at save and at restore): a link is recorded as a
// link, never followed; its text must be relative and resolve inside the
// root, else the outputs are refused ("unsafe-symlink") and the result is not
// cached. Sockets, FIFOs and devices are refused ("special-file").
//
// Each file is read once: hashed and copied into the blob store in the same
// pass (or, up to INLINE_MAX_BYTES, kept in the entry itself: no blob), and
// its hash is handed to the stat memo so the next outputsMatch does not read
// it again.
//
// Two kinds of failure, kept apart in the result: the outputs are bad (missing,
// unsafe, unreadable: the task fails), or they are good but the store could
// not take them (disk full, quota, I/O error on the cache's disk: the task
// stands, uncached). In the second case the remaining files are only hashed,
// since dependents' keys need their hashes.
import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readlinkSync, type Stats } from "node:fs";
import { join, posix } from "node:path";
import { setImmediate as nextTurn } from "node:timers/promises";
import { INLINE_MAX_BYTES, type OutputEntry } from "./action-record.js";
import { BlobWriteError, type BlobStore } from "./blob-store.js";
import type { ContentHash } from "./content-hash.js";
import { errnoCode, errorMessage } from "./cache-warning.js";
import { comparePaths, isSafeRelativePath, isSafeSymlinkTarget } from "./output-path.js";
import type { StatMemo } from "./stat-memo.js";

/** Why good outputs were not stored: the first blob the store failed to write. */
export interface StoreFailure {
  /** The output (project-relative) whose blob could not be written. */
  readonly path: string;
  /** The errno code (ENOSPC, EDQUOT, EIO...), when there is one. */
  readonly code: string | undefined;
  readonly message: string;
}

export type SaveOutputsResult =
  /** Every output is good and in the store (durable at the next flush). */
  | { ok: true; stored: true; entries: OutputEntry[] }
  /** Every output is good, but the store could not take them: the result must not be recorded. */
  | { ok: true; stored: false; entries: OutputEntry[]; storeFailure: StoreFailure }
  /** An output is bad: missing, unsafe, or unreadable. */
  | { ok: false; reason: "missing-output" | "unsafe-symlink" | "special-file" | "io"; path: string; message: string };

type SaveFailure = Extract<SaveOutputsResult, { ok: false }>;

/** Files copied between two yields to the event loop, so running tasks' pipes keep draining. */
const FILES_PER_TURN = 64;

export async function saveOutputs(
  root: string,
  declared: readonly { path: string; isDir: boolean }[],
  blobs: BlobStore,
  statMemo: StatMemo,
  /** Files up to this size are kept in their entry (OutputEntry.data), not as blobs; -1: none. */
  inlineMax: number = INLINE_MAX_BYTES,
): Promise<SaveOutputsResult> {
  const found = new Map<string, Stats>();
  try {
    for (const d of declared) {
      const rel = normalizeDeclared(d.path);
      if (rel === undefined) return fail("io", d.path, `declared output ${JSON.stringify(d.path)} is not a path inside the root`);
      const problem = collect(root, rel, d.isDir, found);
      if (problem !== undefined) return problem;
    }
    const entries: OutputEntry[] = [];
    const state: { storeFailure?: StoreFailure } = {};
    let sinceYield = 0;
    for (const rel of [...found.keys()].sort(comparePaths)) {
      const st = found.get(rel) as Stats;
      let result: OutputEntry | SaveFailure;
      try {
        result = st.isFile() ? saveFile(root, rel, blobs, statMemo, state, inlineMax) : nonFileEntry(root, rel, st);
      } catch (err) {
        // A read error has no path of its own (readSync): name the output.
        if (errnoCode(err) === undefined) throw err;
        return fail("io", rel, `could not read output ${rel}: ${errorMessage(err)}`);
      }
      if ("ok" in result) return result;
      entries.push(result);
      if (st.isFile() && ++sinceYield >= FILES_PER_TURN) {
        sinceYield = 0;
        await nextTurn();
      }
    }
    // The blobs become durable at the next BlobStore.flush (LocalCache.putAction waits for it
    // before it writes a record naming them).
    if (state.storeFailure !== undefined) return { ok: true, stored: false, entries, storeFailure: state.storeFailure };
    return { ok: true, stored: true, entries };
  } catch (err) {
    if (errnoCode(err) === undefined) throw err;
    return fail("io", pathOf(err, root), errorMessage(err));
  }
}

/** "./out//a/" -> "out/a"; undefined for the root itself, absolute paths and escapes. */
function normalizeDeclared(p: string): string | undefined {
  const n = posix.normalize(p).replace(/\/+$/, "");
  return isSafeRelativePath(n) ? n : undefined;
}

/** lstat-walks one declared output into `found`; returns a failure for anything unsavable. */
function collect(root: string, rel: string, isDir: boolean, found: Map<string, Stats>): SaveFailure | undefined {
  const abs = join(root, rel);
  let st: Stats | undefined;
  try {
    st = lstatSync(abs, { throwIfNoEntry: false });
  } catch (err) {
    if (errnoCode(err) !== "ENOTDIR") throw err;
  }
  if (st === undefined) return fail("missing-output", rel, `declared output ${rel} was not created`);
  if (isDir && !st.isDirectory() && !st.isSymbolicLink()) {
    return fail("missing-output", rel, `declared output directory ${rel} is not a directory`);
  }
  if (!isDir && st.isDirectory()) return fail("missing-output", rel, `declared output file ${rel} is a directory`);
  const stack: [string, Stats][] = [[rel, st]];
  while (stack.length > 0) {
    const [path, stats] = stack.pop() as [string, Stats];
    if (!stats.isFile() && !stats.isDirectory() && !stats.isSymbolicLink()) {
      return fail("special-file", path, `output ${path} is a socket, FIFO or device, which cannot be cached`);
    }
    found.set(path, stats);
    if (!stats.isDirectory()) continue;
    for (const name of readdirSync(join(root, path))) {
      const child = `${path}/${name}`;
      stack.push([child, lstatSync(join(root, child))]);
    }
  }
  return undefined;
}

function saveFile(root: string, rel: string, blobs: BlobStore, statMemo: StatMemo, state: { storeFailure?: StoreFailure }, inlineMax: number): OutputEntry | SaveFailure {
  const abs = join(root, rel);
  // O_NOFOLLOW: if the file was swapped for a link since the walk, fail rather than store the link's target.
  const fd = openSync(abs, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const before = fstatSync(fd);
    if (!before.isFile()) return fail("special-file", rel, `output ${rel} is no longer a regular file`);
    const { hash, size, data }: { hash: ContentHash; size: number; data?: Uint8Array } =
      state.storeFailure === undefined ? putOrHash(fd, before.size, rel, blobs, state, inlineMax) : blobs.hashFd(fd);
    // fstat after the copy: a file still being written has a recent mtime, so
    // its memo record stays untrusted and is re-hashed next time.
    const after = fstatSync(fd);
    if (after.size === size) statMemo.remember(abs, after, hash);
    // A small file's bytes go into the record itself (INLINE_MAX_BYTES): no blob file.
    return data === undefined ? { path: rel, kind: "file", hash, size, mode: after.mode & 0o777 } : { path: rel, kind: "file", hash, size, mode: after.mode & 0o777, data };
  } finally {
    closeSync(fd);
  }
}

/** Stores the file; if the store cannot write, notes why and hashes the file instead (from its start). */
function putOrHash(fd: number, size: number, rel: string, blobs: BlobStore, state: { storeFailure?: StoreFailure }, inlineMax: number): { hash: ContentHash; size: number; data?: Uint8Array } {
  try {
    return blobs.putFromFd(fd, size, inlineMax);
  } catch (err) {
    if (!(err instanceof BlobWriteError)) throw err;
    state.storeFailure = { path: rel, code: err.code, message: err.message };
    return blobs.hashFd(fd);
  }
}

function nonFileEntry(root: string, rel: string, st: Stats): OutputEntry | SaveFailure {
  if (st.isDirectory()) return { path: rel, kind: "dir", mode: st.mode & 0o777 };
  const target = readlinkSync(join(root, rel));
  if (!isSafeSymlinkTarget(rel, target)) {
    return fail("unsafe-symlink", rel, `output ${rel} is a symlink to ${JSON.stringify(target)}, which is absolute or leaves the project`);
  }
  return { path: rel, kind: "symlink", mode: st.mode & 0o777, target };
}

function fail(reason: SaveFailure["reason"], path: string, message: string): SaveFailure {
  return { ok: false, reason, path, message };
}

function pathOf(err: unknown, fallback: string): string {
  const p = (err as { path?: unknown }).path;
  return typeof p === "string" ? p : fallback;
}
