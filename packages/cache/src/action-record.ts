// The action cache's record: what one successful run of a task produced.
//
// Stored msgpack-encoded in LMDB `actions` under the task key. The key is
// opaque here (the graph package computes it); the record repeats it so a
// collision or a misfiled entry is detected on read instead of trusted.
import { isContentHash, type ContentHash } from "./content-hash.js";
import { isSafeRelativePath } from "./output-path.js";

/** Bump when ActionRecord, the stat record or the LMDB layout changes shape; old envs are set aside. */
// 2: ingredients are stored as the canonical key text (a string), not as an object;
//    actions use shared msgpack structures, lastrun plain strings.
// 3: a small file's bytes may be kept in its output entry (`data`) instead of
//    a blob; a version-2 reader would take such an entry's blob for missing.
export const CACHE_SCHEMA_VERSION = 3;

/**
 * Files up to this size are kept in the record (OutputEntry.data), not as a
 * blob file each. 4 KiB is one ext4 block: a smaller blob costs a whole
 * block, an inode and a directory entry on disk, and to write one a create,
 * a write, an fsync, a rename and its share of a directory fsync, all for
 * bytes that cost their own size inside the LMDB record. Above it a blob
 * wastes little space, and records stay small for the lookups of every build.
 */
export const INLINE_MAX_BYTES = 4096;

export interface OutputEntry {
  /** Relative to the project root, POSIX separators, no "." / ".." segments. */
  path: string;
  kind: "file" | "dir" | "symlink";
  /** Files only. */
  hash?: ContentHash;
  /** Files only. */
  size?: number;
  /** Permission bits (st_mode & 0o777). */
  mode: number;
  /** Symlinks only: the link text, relative and inside the root. */
  target?: string;
  /**
   * Files of at most INLINE_MAX_BYTES only: the bytes themselves, kept in the
   * record instead of a blob (no blob file is named by this entry). Checked
   * against `hash` whenever they are restored. Never in a remote artifact's
   * record: the artifact carries every file as a blob (artifact-archive.ts).
   */
  data?: Uint8Array;
}

/**
 * The entries as a finished task's dependents and the build state see them:
 * a small file's bytes (`data`) left out, since only its hash counts there.
 * The build keeps every task's outputs until it ends, and with the bytes of
 * each small output (1,000 B on the benchmark, in 8 KiB Buffer pool slabs)
 * that was ~1.7 KiB per task for the whole build. The same array when no
 * entry carries bytes. (Only a file has bytes, and a file has no `target`.)
 */
export function withoutInlineBytes(entries: readonly OutputEntry[]): readonly OutputEntry[] {
  if (!entries.some((o) => o.data !== undefined)) return entries;
  return entries.map((o) => (o.data === undefined ? o : { path: o.path, kind: o.kind, hash: o.hash, size: o.size, mode: o.mode }));
}

export interface ActionRecord {
  /** The task key (opaque string to this package). */
  key: string;
  /** Sorted by comparePaths; a declared output directory appears as a dir entry followed by every entry below it. */
  outputs: OutputEntry[];
  exitCode: number;
  durationMs: number;
  /** The task's captured output, stored as a blob. */
  log?: ContentHash;
  /**
   * Discovered inputs: files the run read beyond its declared inputs, as its
   * depfile listed them (a compiler's `-MMD`), each [project-relative path,
   * content hash when the run ended], sorted by path. Not part of the key:
   * the graph package checks them before it trusts the result, and a task
   * that has a depfile treats a record without this field as unusable.
   * Absent for a task without a depfile.
   */
  discovered?: [string, ContentHash][];
  /** Opaque to this package (the graph package stores the key's canonical text), kept for `flow explain` and collision checks. */
  ingredients: unknown;
  /** ms since epoch (bookkeeping only, never part of a key). */
  createdAt: number;
}

/**
 * Checks a decoded value from disk. Everything read from the cache is
 * untrusted: a record that does not have exactly this shape is a miss, so
 * restore code can rely on the types (e.g. a file entry always has a hash).
 */
export function checkActionRecord(value: unknown): { ok: true; record: ActionRecord } | { ok: false; problem: string } {
  if (!isObject(value)) return { ok: false, problem: "not an object" };
  const { key, outputs, exitCode, durationMs, log, createdAt } = value;
  if (typeof key !== "string") return { ok: false, problem: "key is not a string" };
  if (!Array.isArray(outputs)) return { ok: false, problem: "outputs is not an array" };
  if (!isFiniteNumber(exitCode) || !isFiniteNumber(durationMs) || !isFiniteNumber(createdAt)) {
    return { ok: false, problem: "exitCode, durationMs or createdAt is not a number" };
  }
  if (log !== undefined && !isContentHash(log)) return { ok: false, problem: "log is not a content hash" };
  for (const entry of outputs) {
    const problem = outputEntryProblem(entry);
    if (problem !== undefined) return { ok: false, problem };
  }
  const { discovered } = value;
  if (discovered !== undefined) {
    if (!Array.isArray(discovered)) return { ok: false, problem: "discovered is not an array" };
    for (const d of discovered as unknown[]) {
      if (!Array.isArray(d) || d.length !== 2 || typeof d[0] !== "string" || !isSafeRelativePath(d[0]) || !isContentHash(d[1])) {
        return { ok: false, problem: `a discovered input is not [plain relative path, content hash]: ${JSON.stringify(d)}` };
      }
    }
  }
  return { ok: true, record: value as unknown as ActionRecord };
}

export function outputEntryProblem(entry: unknown): string | undefined {
  if (!isObject(entry)) return "an output entry is not an object";
  const { path, kind, hash, size, mode, target } = entry;
  if (typeof path !== "string" || !isSafeRelativePath(path)) return `unsafe output path ${JSON.stringify(path)}`;
  if (!isFiniteNumber(mode)) return `output ${path}: mode is not a number`;
  switch (kind) {
    case "file": {
      if (!isContentHash(hash) || !isFiniteNumber(size)) return `output ${path}: file without hash or size`;
      const { data } = entry;
      if (data !== undefined && (!(data instanceof Uint8Array) || data.length !== size || size > INLINE_MAX_BYTES)) {
        return `output ${path}: inline bytes that are not ${size} bytes of at most ${INLINE_MAX_BYTES}`;
      }
      return undefined;
    }
    case "dir":
      return entry["data"] === undefined ? undefined : `output ${path}: a directory with bytes`;
    case "symlink":
      if (typeof target !== "string") return `output ${path}: symlink without target`;
      return entry["data"] === undefined ? undefined : `output ${path}: a symlink with bytes`;
    default:
      return `output ${path}: unknown kind ${JSON.stringify(kind)}`;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isFiniteNumber(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v);
}
