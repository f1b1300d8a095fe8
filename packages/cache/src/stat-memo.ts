// The stat memo: an unchanged file is never re-read.
//
// A file whose (size, mtimeMs, ctimeMs, ino) equal its record is assumed to
// hold the recorded bytes. That is what makes a no-op build cost one stat per
// input instead of one read (0.9 s vs 6.9 s for 100k files on a cold cache).
//
// Racy git: mtime has a finite resolution, so a file edited twice within one
// tick, keeping its size, keeps its stat. A record is therefore only trusted
// when the file's newest time stamp was at least RACY_WINDOW_MS older than the
// clock when it was hashed; until then the file is re-hashed on every run.
// The window is wide (2 s, not one tick) to cover coarse file systems (FAT,
// some network mounts) and writes racing with the hash.
//
// Rejected: keying by inode or realpath (inputs are named by path, and a
// rename must look like a new file); trusting mtime alone (tools like `cp -p`
// and `touch -r` restore mtimes; ctime cannot be set from user space).
import { closeSync, fstatSync, openSync, statSync, type Stats } from "node:fs";
import { errnoCode } from "./cache-warning.js";
import type { ContentHash, Hasher } from "./content-hash.js";
import type { FileState } from "./file-state.js";
import { FileStateTable } from "./file-state-table.js";
import type { StatRecord } from "./stat-record.js";

export const RACY_WINDOW_MS = 2000;

/** The part of fs.Stats the memo reads; a Stats is one, and so is a stat kept packed by the caller. */
export interface StatLike {
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  readonly ino: number;
  readonly mode: number;
  isFile(): boolean;
  isDirectory(): boolean;
}

export interface Clock {
  now(): number;
}

/** Where records persist between runs (LMDB in LocalCache, a Map in tests). */
export interface StatMemoStore {
  get(absPath: string): StatRecord | undefined;
  /** Fire-and-forget: never awaited per file; the store batches and reports its own failures. */
  put(absPath: string, record: StatRecord): void;
}

/** Errors that mean "there is no file here" for an input. ELOOP: a symlink cycle is as unreadable as a dangling link. */
const MISSING_CODES = new Set(["ENOENT", "ENOTDIR", "ELOOP"]);

export class StatMemo {
  private readonly hasher: Hasher;
  private readonly store: StatMemoStore;
  private readonly clock: Clock;
  /** Per-run answers, so a path named by many tasks is stat'ed once (packed: file-state-table.ts). */
  private readonly seen = new FileStateTable();
  /** Paths of `seen` hashed too recently to be vouched for by their stat alone (RACY_WINDOW_MS). */
  private readonly racy = new Set<string>();

  /** How a path is stat'ed; the CLI passes the stats it already took while building the graph. */
  private readonly stat: (absPath: string) => StatLike | undefined;

  constructor(opts: { hasher: Hasher; store: StatMemoStore; clock?: Clock; stat?: (absPath: string) => StatLike | undefined }) {
    this.stat = opts.stat ?? ((p) => statSync(p, { throwIfNoEntry: false }));
    this.hasher = opts.hasher;
    this.store = opts.store;
    this.clock = opts.clock ?? { now: () => Date.now() };
  }

  /**
   * Follows symlinks (this is for inputs). ENOENT, ENOTDIR, a dangling or
   * looping symlink -> missing. Other errors (EACCES, EIO) and special files
   * (FIFOs, devices: reading one could block forever) throw.
   * `taken`: a stat of the path the caller already holds (an lstat that
   * found a regular file is one), so the file is not stat'ed twice.
   */
  fileState(absPath: string, taken?: StatLike): FileState {
    const known = this.seen.get(absPath);
    if (known !== undefined) return known;
    const state = this.probe(absPath, taken);
    this.seen.set(absPath, state);
    return state;
  }

  /** Drops the per-run answer, e.g. after a task rewrote the file. */
  forget(absPath: string): void {
    this.seen.delete(absPath);
    this.racy.delete(absPath);
  }

  /**
   * This run's answer for a path, if it has one, and whether its stat alone
   * vouches for its bytes (false while the hash is within the racy window):
   * what the persistent build state keeps for the next build.
   */
  known(absPath: string): { readonly state: FileState; readonly trusted: boolean } | undefined {
    const state = this.seen.get(absPath);
    return state === undefined ? undefined : { state, trusted: !this.racy.has(absPath) };
  }

  /**
   * Records a hash computed elsewhere from the same bytes (the blob store
   * hashes outputs while copying them), so the file is not read again.
   */
  remember(absPath: string, stats: Stats, hash: ContentHash): void {
    const record = this.recordFor(stats, hash);
    this.store.put(absPath, record);
    this.seen.set(absPath, fileStateOf(stats, hash));
    this.noteTrust(absPath, record.trusted);
  }

  private probe(absPath: string, taken: StatLike | undefined): FileState {
    let st: StatLike | undefined = taken;
    try {
      st ??= this.stat(absPath);
    } catch (err) {
      if (MISSING_CODES.has(errnoCode(err) ?? "")) return { kind: "missing" };
      throw err;
    }
    if (st === undefined) return { kind: "missing" };
    if (st.isDirectory()) return { kind: "dir" };
    if (!st.isFile()) throw new Error(`not a regular file or directory: ${absPath}`);
    const rec = this.store.get(absPath);
    if (rec !== undefined && rec.trusted && sameStat(rec, st)) {
      return fileStateOf(st, rec.hash);
    }
    return this.hashAndRecord(absPath);
  }

  private hashAndRecord(absPath: string): FileState {
    let fd: number;
    try {
      fd = openSync(absPath, "r");
    } catch (err) {
      if (MISSING_CODES.has(errnoCode(err) ?? "")) return { kind: "missing" }; // removed since the stat
      throw err;
    }
    try {
      // fstat the descriptor we read, so the record describes these bytes even
      // if the path was replaced between the stat above and the open.
      const st = fstatSync(fd);
      if (st.isDirectory()) return { kind: "dir" };
      if (!st.isFile()) throw new Error(`not a regular file or directory: ${absPath}`);
      const hash = this.hasher.hashFd(fd);
      const record = this.recordFor(st, hash);
      this.store.put(absPath, record);
      this.noteTrust(absPath, record.trusted);
      return fileStateOf(st, hash);
    } finally {
      closeSync(fd);
    }
  }

  private noteTrust(absPath: string, trusted: boolean): void {
    if (trusted) this.racy.delete(absPath);
    else this.racy.add(absPath);
  }

  private recordFor(st: Stats, hash: ContentHash): StatRecord {
    const newest = Math.max(st.mtimeMs, st.ctimeMs);
    return {
      size: st.size,
      mtimeMs: st.mtimeMs,
      ctimeMs: st.ctimeMs,
      ino: st.ino,
      mode: st.mode,
      hash,
      // Also untrusted when the file claims to be from the future (clock skew).
      trusted: this.clock.now() - newest >= RACY_WINDOW_MS,
    };
  }
}

/** A file's state from the stat its bytes were hashed under (or that matched their record). */
export function fileStateOf(st: StatLike, hash: ContentHash): FileState {
  return { kind: "file", hash, size: st.size, mode: st.mode & 0o777, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino };
}

function sameStat(rec: StatRecord, st: StatLike): boolean {
  return rec.size === st.size && rec.mtimeMs === st.mtimeMs && rec.ctimeMs === st.ctimeMs && rec.ino === st.ino;
}
