// The local cache tier: LMDB for records, a directory of blobs for bytes.
//
// Layout under cacheDir:
//   db/               LMDB env: meta, actions, statmemo, access (see cache-db.ts)
//   db.corrupt-<ms>/  db.old-schema-<ms>/   envs set aside (see cache-db.ts)
//   blobs/ab/<32hex>  content-addressed files, read-only (see blob-store.ts)
//   tmp/              temp files of blob writes; older than 1 h removed at open
//   db/clean-close.json  the data file's identity at the last clean close (see env-identity.ts)
//   run/<pid>-<n>     present while a process has the env open (see session-marker.ts)
//   stats.json        build hits/misses and the running size estimate (see cache-stats.ts)
//
// Small files (up to INLINE_MAX_BYTES, action-record.ts) are kept in their
// record instead (OutputEntry.data): no blob, so nothing to make durable first.
//
// Atomicity invariant: a blob is written to tmp/, fsync'ed and renamed into
// place (and its directory fsync'ed) before any record naming it is put, so
// a record never points at a partial blob. putAction checks that every blob
// it names exists.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { checkActionRecord, INLINE_MAX_BYTES, type ActionRecord, type OutputEntry } from "./action-record.js";
import { BlobStore } from "./blob-store.js";
import { openCacheDb, type CacheDb } from "./cache-db.js";
import { forgetCleanClose, recordCleanClose } from "./env-identity.js";
import { onLmdbCommitFailure } from "./lmdb-commit-guard.js";
import { absorbCommitError, errorMessage, type CacheWarning, type WarningSink } from "./cache-warning.js";
import type { ContentHash, Hasher } from "./content-hash.js";
import { cacheStats, recordBuild, noteMeasuredSize, type BuildRun, type CacheStatsReport, type StatsFile } from "./cache-stats.js";
import { verifyCache, type VerifyReport } from "./cache-verify.js";
import { collectGarbage, type GcOptions, type GcReport } from "./gc.js";
import { lmdbStatMemoStore } from "./lmdb-stat-memo-store.js";
import { outputsMatch } from "./outputs-match.js";
import { restoreOutputs, type RestoreOutputsResult } from "./restore-outputs.js";
import { saveOutputs, type SaveOutputsResult } from "./save-outputs.js";
import { SessionMarker } from "./session-marker.js";
import { StatMemo, type Clock, type StatLike } from "./stat-memo.js";
import { sweepTmp } from "./tmp-sweep.js";

export interface LocalCacheOptions {
  hasher: Hasher;
  onWarning?: (w: CacheWarning) => void;
  clock?: Clock;
  /** Stats already taken by the caller (follows symlinks, undefined when missing); default statSync. */
  stat?: (absPath: string) => StatLike | undefined;
  /** Walk the whole LMDB file before trusting it, even when it is untouched since a clean close (`flow cache verify`). */
  fullCheck?: boolean;
  /** Files up to this many bytes are kept in their record, not as blobs (default INLINE_MAX_BYTES; -1: every file a blob). */
  inlineMaxBytes?: number;
}

interface QueuedRecord {
  readonly record: ActionRecord;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/** Where the open moved a damaged env, and why. */
export interface SetAsideDb {
  path: string;
  reason: string;
}

/** How long close() waits for LMDB to confirm its writes (see close). */
const FLUSH_WAIT_MS = 2000;

export class LocalCache {
  readonly statMemo: StatMemo;
  private closed = false;
  private warnedAccess = false;
  /** An LMDB read failed during this session: the env may hold a damaged page (see close). */
  private damaged = false;
  private warnedRead = false;
  private readonly stopCommitGuard: () => void;
  /**
   * Hits not yet written to the `access` db: key -> time of the hit. A no-op
   * build hits every task, and one async put per hit cost more than the rest
   * of the look-up; they are written together in one transaction (flushAccess).
   */
  private readonly accessed = new Map<string, number>();
  /** Records waiting for the next batch (putAction). */
  private recordQueue: QueuedRecord[] = [];
  /** Last runs waiting for the next batch ("<scope>\0<task>" -> key). */
  private lastRunQueue = new Map<string, string>();
  /** The committer writing batches, while there is one. */
  private recordCommitter: Promise<void> | undefined;

  private constructor(
    private readonly db: CacheDb,
    private readonly blobs: BlobStore,
    private readonly marker: SessionMarker,
    private readonly clock: Clock,
    private readonly warn: WarningSink,
    private readonly hasher: Hasher,
    /** The cache directory (gc, verify and stats walk its blobs/). */
    readonly dir: string,
    /** Set when this open found the env damaged and set it aside. */
    readonly setAside: SetAsideDb | undefined,
    /** Files up to this size are kept in their record (OutputEntry.data). */
    private readonly inlineMax: number,
    stat?: (absPath: string) => StatLike | undefined,
  ) {
    this.stopCommitGuard = onLmdbCommitFailure((err) => this.readFailed(err));
    this.statMemo = new StatMemo({ hasher, clock, store: lmdbStatMemoStore(db.statmemo, warn, () => (this.damaged = true)), ...(stat ? { stat } : {}) });
  }

  /** Never fails because of what it finds on disk: a bad env is set aside with a warning. */
  static async open(cacheDir: string, opts: LocalCacheOptions): Promise<LocalCache> {
    const warn: WarningSink = opts.onWarning ?? (() => undefined);
    const clock = opts.clock ?? { now: () => Date.now() };
    for (const sub of ["blobs", "tmp"]) mkdirSync(join(cacheDir, sub), { recursive: true });
    sweepTmp(join(cacheDir, "tmp"), clock.now(), warn);
    const crashed = SessionMarker.sweepStale(cacheDir);
    // The marker goes down before the env is opened: if opening it kills the
    // process (LMDB can SIGBUS on damaged pages), the next open sees a dead
    // holder's marker and verifies the env in a child before trusting it,
    // instead of crashing the same way forever.
    const marker = SessionMarker.create(cacheDir);
    let setAside: SetAsideDb | undefined;
    const db = await openCacheDb(cacheDir, {
      clock,
      warn,
      crashed,
      full: opts.fullCheck === true,
      onSetAside: (path, reason) => (setAside = { path, reason }),
    });
    return new LocalCache(db, new BlobStore(cacheDir, opts.hasher, warn), marker, clock, warn, opts.hasher, cacheDir, setAside, opts.inlineMaxBytes ?? INLINE_MAX_BYTES, opts.stat);
  }

  /** A record that fails to decode, or is filed under another key (a forced collision), is a miss: warned and deleted. */
  async getAction(key: string): Promise<ActionRecord | undefined> {
    const record = await this.peekAction(key);
    // Last access, for gc; written in one batch at close (or at the next gc): bookkeeping must not slow a hit.
    if (record !== undefined) this.accessed.set(key, this.clock.now());
    return record;
  }

  /** getAction without marking the entry as used (clean, stats): gc's LRU order sees only builds. */
  async peekAction(key: string): Promise<ActionRecord | undefined> {
    let raw: unknown;
    try {
      raw = this.db.actions.get(key);
    } catch (err) {
      // A record that does not decode, or a page LMDB cannot find: either way the env may be damaged.
      this.damaged = true;
      return this.dropRecord(key, "ACTION_RECORD_INVALID", `it failed to decode: ${errorMessage(err)}`);
    }
    if (raw === undefined) return undefined;
    const checked = checkActionRecord(raw);
    if (!checked.ok) return this.dropRecord(key, "ACTION_RECORD_INVALID", checked.problem);
    if (checked.record.key !== key) {
      return this.dropRecord(key, "ACTION_KEY_MISMATCH", `it names key ${JSON.stringify(checked.record.key)}`);
    }
    return checked.record;
  }

  /**
   * Every action record that decodes and checks, in key order: a reader's
   * walk (`flow ui`'s earlier versions of an output). Unlike getAction it
   * marks nothing as used and deletes nothing: a bad record is skipped here
   * and dealt with by the next lookup of its key or by gc. Read key by key,
   * as gc reads, so one bad record does not end the walk.
   */
  *actionRecords(): Generator<ActionRecord> {
    for (const key of this.db.actions.getKeys()) {
      let raw: unknown;
      try {
        raw = this.db.actions.get(key);
      } catch {
        continue;
      }
      const checked = checkActionRecord(raw);
      if (checked.ok && checked.record.key === key) yield checked.record;
    }
  }

  /**
   * Call after saveOutputs/putBlobBytes returned. Waits until the blobs the
   * record names are durable (BlobStore.flush) before writing it, so a record
   * never points at a partial blob.
   *
   * Group commit, like the blob store's: records wait in a queue, and one
   * committer takes every record queued so far, flushes the blobs (which
   * covers every blob put before any of them was queued), and writes them in
   * one LMDB transaction; records queued meanwhile go in the next. A full
   * build finishes a task every millisecond or two, and each record written
   * on its own was one transaction (a commit, a sync, a wake-up of lmdb-js's
   * write thread) per task.
   */
  putAction(record: ActionRecord): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.recordQueue.push({ record, resolve, reject });
      this.recordCommitter ??= this.commitRecords();
    });
  }

  /** Writes the queued records (and last runs) in batches until the queue is empty (see putAction). */
  private async commitRecords(): Promise<void> {
    // Never settle synchronously: the caller stores this promise, and the finally below must clear it after that.
    await Promise.resolve();
    try {
      while (this.recordQueue.length > 0 || this.lastRunQueue.size > 0) {
        const batch = this.recordQueue;
        this.recordQueue = [];
        const lastRuns = this.lastRunQueue;
        this.lastRunQueue = new Map();
        let flushError: unknown;
        try {
          if (batch.length > 0) await this.blobs.flush();
        } catch (err) {
          flushError = err;
        }
        const ready: QueuedRecord[] = [];
        for (const q of batch) {
          if (flushError !== undefined) {
            q.reject(flushError);
            continue;
          }
          // A file kept inline (OutputEntry.data) names no blob.
          const missing = [...q.record.outputs.map((o) => (o.data === undefined ? o.hash : undefined)), q.record.log].find((h) => h !== undefined && !this.blobs.has(h));
          if (missing !== undefined) q.reject(new Error(`putAction(${q.record.key}): blob ${missing} is not in the store; save outputs before the record`));
          else ready.push(q);
        }
        if (ready.length === 0 && lastRuns.size === 0) continue;
        try {
          await this.db.actions.batch(() => {
            for (const q of ready) void this.db.actions.put(q.record.key, q.record);
            for (const [k, key] of lastRuns) void this.db.lastrun.put(k, key);
          });
        } catch (err) {
          const failed = absorbCommitError(err) ? new Error(errorMessage(err), { cause: err }) : err;
          for (const q of ready) q.reject(failed);
          if (ready.length === 0) this.warnAccess(err);
          continue;
        }
        for (const q of ready) q.resolve();
      }
    } finally {
      this.recordCommitter = undefined;
    }
  }

  /** Makes every blob written so far durable and visible in blobs/ (putAction does this itself). */
  flush(): Promise<void> {
    return this.blobs.flush();
  }

  async hasBlob(hash: ContentHash): Promise<boolean> {
    await this.blobs.flush();
    return this.blobs.has(hash);
  }

  async putBlobBytes(data: Uint8Array): Promise<ContentHash> {
    return this.blobs.putBytes(data);
  }

  /** Where the blob is under its final name (after the pending writes), or undefined when the store lacks it. */
  async blobPath(hash: ContentHash): Promise<string | undefined> {
    await this.blobs.flush();
    return this.blobs.has(hash) ? this.blobs.pathOf(hash) : undefined;
  }

  /**
   * Copies a file another tier holds into the store as blob `expected`,
   * streamed (bounded memory) and hashed on the way; a file whose bytes are
   * not `expected` is refused with an error and stored under no name.
   */
  async putBlobFile(path: string, expected: ContentHash): Promise<void> {
    const got = this.blobs.putFile(path, expected);
    if (got !== expected) throw new Error(`the copy of blob ${expected} from another cache tier hashes to ${got}; refused`);
  }

  async readBlob(hash: ContentHash): Promise<Uint8Array | undefined> {
    await this.blobs.flush();
    return this.blobs.read(hash);
  }

  saveOutputs(root: string, declared: { path: string; isDir: boolean }[]): Promise<SaveOutputsResult> {
    return saveOutputs(root, declared, this.blobs, this.statMemo, this.inlineMax);
  }

  outputsMatch(root: string, entries: OutputEntry[]): boolean {
    return outputsMatch(root, entries, this.statMemo);
  }

  async restoreOutputs(root: string, entries: OutputEntry[]): Promise<RestoreOutputsResult> {
    await this.blobs.flush();
    return restoreOutputs(root, entries, this.blobs, this.statMemo);
  }

  /** Key of `task`'s last successful run in the checkout identified by `scope`. */
  getLastRun(scope: string, task: string): string | undefined {
    const k = `${scope}\0${task}`;
    return this.lastRunQueue.get(k) ?? this.readLastRun(k);
  }

  /**
   * Remember `key` as `task`'s last successful run; a no-op when it already is
   * (no write on a no-op build). Written with the next batch of records (see
   * putAction), not in a transaction of its own.
   */
  putLastRun(scope: string, task: string, key: string): void {
    const k = `${scope}\0${task}`;
    if (this.lastRunQueue.get(k) === key || (!this.lastRunQueue.has(k) && this.readLastRun(k) === key)) return;
    this.lastRunQueue.set(k, key);
    this.recordCommitter ??= this.commitRecords();
  }

  /** Every [task, key] of the checkout `scope`, sorted by task name. */
  lastRuns(scope: string): [string, string][] {
    const out: [string, string][] = [];
    const prefix = `${scope}\0`;
    try {
      for (const { key, value } of this.db.lastrun.getRange({ start: prefix })) {
        if (!key.startsWith(prefix)) break;
        out.push([key.slice(prefix.length), value]);
      }
    } catch (err) {
      this.readFailed(err);
    }
    return out;
  }

  /** A last-run key, or undefined when there is none or it cannot be read (it only explains; it never decides). */
  private readLastRun(k: string): string | undefined {
    try {
      return this.db.lastrun.get(k);
    } catch (err) {
      this.readFailed(err);
      return undefined;
    }
  }

  /** LMDB failed a read or a commit (a damaged page): warned once; the next open checks the env in full (see close). */
  private readFailed(err: unknown): void {
    this.damaged = true;
    if (this.warnedRead) return;
    this.warnedRead = true;
    this.warn({ code: "CACHE_WRITE_FAILED", message: `could not read the cache database: ${errorMessage(err)}; the next build checks it in full` });
  }

  forgetLastRun(scope: string, task: string): Promise<boolean> {
    this.lastRunQueue.delete(`${scope}\0${task}`);
    return this.db.lastrun.remove(`${scope}\0${task}`);
  }

  async deleteAction(key: string): Promise<void> {
    this.accessed.delete(key);
    await Promise.all([this.db.actions.remove(key), this.db.access.remove(key)]);
  }

  /** Drops least recently used entries and unreferenced blobs (see gc.ts); the size estimate becomes exact. */
  async gc(opts: Omit<GcOptions, "now">): Promise<GcReport> {
    this.flushAccess();
    const now = this.clock.now();
    const report = await collectGarbage(this.db, this.dir, { ...opts, now });
    noteMeasuredSize(this.dir, report.bytesAfter, now);
    return report;
  }

  /** Rehashes every blob; drops bad blobs and the records naming them (see cache-verify.ts). */
  async verify(): Promise<VerifyReport> {
    const report = await verifyCache(this.db, this.dir, this.hasher, this.warn);
    return this.setAside === undefined ? report : { ...report, databaseSetAside: this.setAside };
  }

  stats(): CacheStatsReport {
    return cacheStats(this.db, this.dir);
  }

  /** Adds a finished build to stats.json; returns the file, with the running size estimate (see cache-stats.ts). */
  recordBuild(run: Omit<BuildRun, "at">): StatsFile {
    return recordBuild(this.db, this.dir, { ...run, at: this.clock.now() });
  }

  /** Flushes pending writes (stat memo, access times), then closes the env. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Last runs queued after the last record (a task restored or fresh) are written before the env closes.
    await this.recordCommitter;
    this.flushAccess();
    try {
      await this.blobs.flush();
    } catch (err) {
      // A blob that could not be made durable (disk full...): no record names it (putAction
      // waits for the same flush), so the cache is consistent and the build's result stands.
      this.warn({ code: "CACHE_WRITE_FAILED", message: `could not store outputs in the cache: ${errorMessage(err)}` });
    }
    try {
      // After a failed commit (disk full) lmdb-js may never settle `flushed`: without the
      // timer the event loop would run dry here and flow exit 0 mid-cleanup, lock still held.
      if (!(await settlesWithin(this.db.env.flushed, FLUSH_WAIT_MS))) this.warn({ code: "CACHE_WRITE_FAILED", message: `the cache database did not confirm its last writes within ${FLUSH_WAIT_MS / 1000}s; they may be lost (the cache stays consistent)` });
    } catch (err) {
      this.warn({ code: "CACHE_WRITE_FAILED", message: `could not write the cache database: ${errorMessage(err)}` });
    }
    // The same after a failed commit: close() waits for the write queue.
    if (!(await settlesWithin(this.db.env.close(), FLUSH_WAIT_MS))) this.damaged = true;
    this.stopCommitGuard();
    // Read errors mean a damaged page may be there: the next open checks the env in full
    // (and sets it aside if it is), instead of every build meeting the same errors.
    // Otherwise the file is as LMDB left it: its identity lets the next open skip the walk.
    const dbDir = join(this.dir, "db");
    if (this.damaged) {
      forgetCleanClose(dbDir);
      this.marker.keep();
    } else {
      recordCleanClose(dbDir);
      this.marker.remove();
    }
  }

  private async dropRecord(key: string, code: "ACTION_RECORD_INVALID" | "ACTION_KEY_MISMATCH", why: string): Promise<undefined> {
    this.warn({ code, message: `cache record for key ${key} dropped: ${why}` });
    try {
      await this.deleteAction(key);
    } catch (err) {
      // The miss stands either way; a damaged env is set aside at the next open's checks.
      this.warn({ code: "CACHE_WRITE_FAILED", message: `could not delete the record for key ${key}: ${errorMessage(err)}` });
    }
    return undefined;
  }

  /** Writes the pending access times in one synchronous transaction (one commit for the whole build). */
  private flushAccess(): void {
    if (this.accessed.size === 0) return;
    const batch = [...this.accessed];
    this.accessed.clear();
    try {
      this.db.env.transactionSync(() => {
        for (const [key, at] of batch) this.db.access.putSync(key, at);
      });
    } catch (err) {
      this.warnAccess(err);
    }
  }

  private warnAccess(err: unknown): void {
    if (this.warnedAccess) return;
    this.warnedAccess = true;
    this.warn({ code: "CACHE_WRITE_FAILED", message: `could not record an access time: ${errorMessage(err)}` });
  }
}

/** true when `p` resolves within `ms`, false when the time runs out first; rejects if `p` does. */
async function settlesWithin(p: PromiseLike<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([Promise.resolve(p).then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
