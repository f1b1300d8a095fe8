// The content-addressed blob store: blobs/<first two hex>/<32 hex>.
//
// Invariant: a blob under its final name is complete and durable. Every
// blob reaches its name the same way: written to a temp file in tmp/ (a
// sibling of blobs/, so the rename is atomic), read-only, fsync'ed, renamed
// into place, and its shard directory fsync'ed. The caller writes the LMDB
// record that names a blob only after a flush() that began after the blob
// was put has resolved (LocalCache.putAction does this), so a record never
// names a blob that a crash could lose or truncate.
//
// What runs where, and why (a full build of 10,000 tasks puts ~10,000 small
// blobs, and every syscall on flow's main thread delays the next recipe):
// - put*: on the caller's thread, only the reading and hashing, which need
//   the bytes anyway. A small blob (up to 1 MiB) stays in memory; a large one,
//   or one that would take the bytes held past PENDING_BYTES_MAX, is copied to
//   its temp file as it is hashed (one pass; the name is known only at the end).
// - flush(): everything else, in libuv's thread pool: creating the temp file
//   of a small blob and writing it, the fsyncs, the renames, and one fsync per
//   shard directory per batch, not per blob.
// - Group commit: one batch at a time. A flush() while a batch is being
//   written waits for it and then starts the next, which takes every blob put
//   in the meantime; with two tasks finishing per millisecond, that turns a
//   batch per task into a batch per fsync latency.
// Durability is deferred, not skipped: the build waits for every commit
// before it ends. A SIGKILL mid-write leaves only a temp file, swept at the
// next open.
//
// Blobs are immutable and named by their hash, so two processes writing the
// same blob race harmlessly: the second rename replaces identical bytes.
// Within a process a blob is written once: a put of a hash already on disk,
// pending or being written is dropped. Reads always re-hash: a blob that does
// not match its name is deleted and reported, and the caller treats it as a miss.
import { close, closeSync, existsSync, fchmodSync, fstatSync, fsync, linkSync, mkdir, open, openSync, readFileSync, readSync, rename, rm, rmSync, write, writeSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { errnoCode, type WarningSink } from "./cache-warning.js";
import { HASH_CHUNK_BYTES, type ContentHash, type Hasher } from "./content-hash.js";

/** Blobs (or shard directories) a batch syncs at once: each holds a descriptor meanwhile. */
const PERSIST_PARALLEL = 16;

/** `fn` over `items`, at most `limit` at a time, every outcome kept in order (like Promise.allSettled). */
async function settleLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<PromiseSettledResult<void>[]> {
  const results: PromiseSettledResult<void>[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) {
      try {
        await fn(items[i] as T);
        results[i] = { status: "fulfilled", value: undefined };
      } catch (reason) {
        results[i] = { status: "rejected", reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export type CopyResult = { ok: true } | { ok: false; reason: "blob-missing" | "blob-corrupt" };

/**
 * The store could not write a blob (ENOSPC, EDQUOT, EIO, EROFS... on the
 * cache's disk): the bytes it was given are fine, the cache is not. Thrown
 * by the put* methods so that a caller can tell it from a failure to read
 * its source (saveOutputs turns it into "built but not cached").
 */
export class BlobWriteError extends Error {
  readonly code: string | undefined;

  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = "BlobWriteError";
    this.code = errnoCode(cause);
  }
}

/** A blob put but not yet under its name: its bytes in memory, or a complete read-only temp file. */
type PendingBlob =
  | { readonly hash: ContentHash; readonly data: Uint8Array }
  | { readonly hash: ContentHash; readonly tmpPath: string; readonly fd: number };

/** Bytes of small blobs held in memory for the next batch; past this, puts go to temp files at once. */
const PENDING_BYTES_MAX = 32 * 1024 * 1024;

export class BlobStore {
  private readonly blobsDir: string;
  private readonly tmpDir: string;
  private readonly chunk = Buffer.allocUnsafe(HASH_CHUNK_BYTES);
  /** Put since the last batch started, by hash. */
  private pending = new Map<ContentHash, PendingBlob>();
  private pendingBytes = 0;
  /** In the batch being written. */
  private writing = new Set<ContentHash>();
  /** The batch being written, if any. */
  private inFlight: Promise<void> | undefined;
  /** The batch that starts when inFlight ends, with whatever is pending then. */
  private queued: Promise<void> | undefined;
  private readonly tmpPrefix = `${process.pid}-${randomBytes(6).toString("hex")}-`;
  private tmpCount = 0;

  constructor(
    cacheDir: string,
    private readonly hasher: Hasher,
    private readonly warn: WarningSink,
  ) {
    this.blobsDir = join(cacheDir, "blobs");
    this.tmpDir = join(cacheDir, "tmp");
  }

  pathOf(hash: ContentHash): string {
    return join(this.blobsDir, hash.slice(0, 2), hash);
  }

  /** Under its final name (what a record may name once a flush has resolved). */
  has(hash: ContentHash): boolean {
    return existsSync(this.pathOf(hash));
  }

  /** The store keeps `data` until the blob is written: the caller must not change it. */
  putBytes(data: Uint8Array): ContentHash {
    const hash = this.hasher.hashBytes(data);
    if (this.known(hash)) return hash;
    if (this.pendingBytes + data.length > PENDING_BYTES_MAX) {
      const { path, fd } = this.openTmp();
      try {
        writeAll(fd, data);
      } catch (err) {
        discard(path, fd);
        throw new BlobWriteError(err);
      }
      this.addTmp(hash, path, fd);
    } else {
      this.pending.set(hash, { hash, data });
      this.pendingBytes += data.length;
    }
    return hash;
  }

  /**
   * Stores the rest of an open file of `size` bytes (its fstat). A small file
   * is read whole in one read and kept in memory; a larger one is copied to a
   * temp file while hashed, in one pass, since the name is known only at the end.
   */
  putFromFd(fd: number, size: number, inlineMax = -1): { hash: ContentHash; size: number; data?: Uint8Array } {
    if (size <= HASH_CHUNK_BYTES) {
      const data = readSmall(fd, this.chunk, size);
      // Small enough to live in its record: hashed, and no blob at all.
      if (data.length <= inlineMax) return { hash: this.hasher.hashBytes(data), size: data.length, data };
      if (data.length <= HASH_CHUNK_BYTES) return { hash: this.putBytes(data), size: data.length };
      // It grew while we read: fall through to the streaming copy of what is left,
      // after storing what we have in the temp file.
      return this.streamToBlob(fd, data);
    }
    return this.streamToBlob(fd, new Uint8Array(0));
  }

  /**
   * Stores the file at `path` (another tier's copy of blob `expected`) if its
   * bytes hash to `expected`, streamed like putFromFd; returns what they hash
   * to. Anything else is stored under no name: a tier's copy is untrusted.
   */
  putFile(path: string, expected: ContentHash): ContentHash {
    if (this.known(expected)) return expected;
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch (err) {
      throw new Error(`could not read blob ${expected} from ${path}: ${errnoCode(err) ?? String(err)}`, { cause: err });
    }
    try {
      const size = fstatSync(fd).size;
      if (size <= HASH_CHUNK_BYTES) {
        const data = readSmall(fd, this.chunk, size);
        const hash = this.hasher.hashBytes(data);
        return hash === expected ? this.putBytes(data) : hash;
      }
      return this.linkToBlob(path, fd, expected) ?? this.streamToBlob(fd, new Uint8Array(0), expected).hash;
    } finally {
      closeSync(fd);
    }
  }

  /**
   * A large file on the cache's own disk (a remote tier stages its downloads
   * in tmp/) becomes a blob by a hard link instead of a copy: one write of a
   * multi-GiB output fewer. It is hashed in place first; the link is then
   * fsync'ed and renamed like any temp blob. Undefined when it cannot be
   * linked (another file system, links not allowed): the caller copies.
   * Sound because a tier never writes a file again once it has handed it
   * over (BlobReader); the read-only mode applies to both names.
   */
  private linkToBlob(path: string, fd: number, expected: ContentHash): ContentHash | undefined {
    const tmpPath = this.tmpName();
    try {
      linkSync(path, tmpPath);
    } catch (err) {
      if (["EXDEV", "EPERM", "EMLINK", "ENOTSUP", "EOPNOTSUPP"].includes(errnoCode(err) ?? "")) return undefined;
      throw new BlobWriteError(err);
    }
    let linkFd: number | undefined;
    try {
      const { hash } = this.hashFd(fd);
      if (hash !== expected || this.known(hash)) {
        rmSync(tmpPath, { force: true });
        return hash;
      }
      linkFd = openSync(tmpPath, "r");
    } catch (err) {
      rmSync(tmpPath, { force: true });
      throw err;
    }
    this.addTmp(expected, tmpPath, linkFd);
    return expected;
  }

  /** Whether bytes kept in a record (OutputEntry.data) are what their hash says. */
  matches(hash: ContentHash, data: Uint8Array): boolean {
    return this.hasher.hashBytes(data) === hash;
  }

  /** Verified read of a whole blob (logs). Corrupt -> removed, warned, undefined. */
  read(hash: ContentHash): Uint8Array | undefined {
    let data: Buffer;
    try {
      data = readFileSync(this.pathOf(hash));
    } catch (err) {
      if (errnoCode(err) === "ENOENT") return undefined;
      throw err;
    }
    if (this.hasher.hashBytes(data) !== hash) {
      this.dropCorrupt(hash, "its bytes do not match its name");
      return undefined;
    }
    return data;
  }

  /**
   * Streams a blob into `destFd` while hashing it; the caller discards the
   * destination unless this returns ok. A corrupt blob is removed.
   */
  copyVerified(hash: ContentHash, expectedSize: number, destFd: number): CopyResult {
    let src: number;
    try {
      src = openSync(this.pathOf(hash), "r");
    } catch (err) {
      if (errnoCode(err) === "ENOENT") return { ok: false, reason: "blob-missing" };
      throw err;
    }
    let size = 0;
    const digest = this.hasher.stream();
    try {
      for (;;) {
        const n = readSync(src, this.chunk, 0, HASH_CHUNK_BYTES, null);
        if (n === 0) break;
        const bytes = this.chunk.subarray(0, n);
        digest.update(bytes);
        writeAll(destFd, bytes);
        size += n;
      }
    } finally {
      closeSync(src);
    }
    if (size !== expectedSize || digest.digest() !== hash) {
      this.dropCorrupt(hash, size !== expectedSize ? `size ${size}, expected ${expectedSize}` : "its bytes do not match its name");
      return { ok: false, reason: "blob-corrupt" };
    }
    return { ok: true };
  }

  /**
   * Makes every blob put before this call durable and visible under its
   * final name. Rejects if the batch it waited for failed (then the blobs
   * of that batch may be missing; `has` says which are there).
   */
  flush(): Promise<void> {
    if (this.pending.size === 0) return this.inFlight ?? Promise.resolve();
    if (this.inFlight === undefined) return this.startBatch();
    // Not startBatch() directly: between the end of inFlight and this callback another
    // flush() may have started a batch with what was pending; flush() sees that.
    this.queued ??= this.inFlight.then(noop, noop).then(() => {
      this.queued = undefined;
      return this.flush();
    });
    return this.queued;
  }

  private startBatch(): Promise<void> {
    const batch = [...this.pending.values()];
    this.pending = new Map();
    this.pendingBytes = 0;
    for (const b of batch) this.writing.add(b.hash);
    const done: Promise<void> = this.writeBatch(batch).finally(() => {
      for (const b of batch) this.writing.delete(b.hash);
      if (this.inFlight === done) this.inFlight = undefined;
    });
    this.inFlight = done;
    return done;
  }

  /**
   * Every blob to its name (in parallel, in the thread pool), then each shard
   * directory fsync'ed once. At most PERSIST_PARALLEL blobs are open at once:
   * one output directory of 10,000 files made one batch, and opening every
   * temp file together ran out of descriptors under `ulimit -n 256` (EMFILE).
   * libuv's pool has 4 threads, so more in flight would not go faster.
   */
  private async writeBatch(batch: readonly PendingBlob[]): Promise<void> {
    const results = await settleLimited(batch, PERSIST_PARALLEL, (b) => this.persist(b));
    const dirs = new Set<string>();
    results.forEach((r, i) => {
      if (r.status === "fulfilled") dirs.add(this.shardOf((batch[i] as PendingBlob).hash));
    });
    // The renames themselves survive a power cut only once their directories are synced.
    const synced = await settleLimited([...dirs], PERSIST_PARALLEL, fsyncDir);
    const unsynced = synced.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (unsynced !== undefined) throw unsynced.reason;
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed !== undefined) throw failed.reason;
  }

  /** One blob: (write its temp file,) fsync, close, rename into its shard. */
  private async persist(b: PendingBlob): Promise<void> {
    let tmpPath: string;
    let fd: number;
    if ("data" in b) {
      tmpPath = this.tmpName();
      // Created read-only: the mode applies to later opens, this one may write.
      fd = await openAsync(tmpPath, "wx", 0o444);
      try {
        await writeAllAsync(fd, b.data);
      } catch (err) {
        await closeAsync(fd);
        await rmAsync(tmpPath, { force: true });
        throw err;
      }
    } else {
      ({ tmpPath, fd } = b);
    }
    try {
      await fsyncAsync(fd);
    } catch (err) {
      await closeAsync(fd);
      await rmAsync(tmpPath, { force: true });
      throw err;
    }
    await closeAsync(fd);
    try {
      await renameInto(tmpPath, this.pathOf(b.hash), this.shardOf(b.hash));
    } catch (err) {
      await rmAsync(tmpPath, { force: true });
      throw err;
    }
  }

  private shardOf(hash: ContentHash): string {
    return join(this.blobsDir, hash.slice(0, 2));
  }

  /** On disk, pending, or being written: nothing to do. */
  private known(hash: ContentHash): boolean {
    return this.pending.has(hash) || this.writing.has(hash) || this.has(hash);
  }

  /** Copies the rest of `fd` to a temp blob while hashing; kept only if it is not known and (when given) hashes to `expected`. */
  private streamToBlob(fd: number, head: Uint8Array, expected?: ContentHash): { hash: ContentHash; size: number } {
    const { path, fd: out } = this.openTmp();
    const digest = this.hasher.stream();
    let size = head.length;
    try {
      if (head.length > 0) {
        digest.update(head);
        writeBlob(out, head);
      }
      for (;;) {
        const n = readSync(fd, this.chunk, 0, HASH_CHUNK_BYTES, null);
        if (n === 0) break;
        const bytes = this.chunk.subarray(0, n);
        digest.update(bytes);
        writeBlob(out, bytes);
        size += n;
      }
    } catch (err) {
      discard(path, out);
      throw err;
    }
    const hash = digest.digest();
    if (this.known(hash) || (expected !== undefined && hash !== expected)) {
      discard(path, out);
      return { hash, size };
    }
    this.addTmp(hash, path, out);
    return { hash, size };
  }

  /** Unique per process without a getrandom per blob: a random prefix per store, then a counter. */
  private tmpName(): string {
    return join(this.tmpDir, `${this.tmpPrefix}${++this.tmpCount}`);
  }

  private openTmp(): { path: string; fd: number } {
    const path = this.tmpName();
    try {
      return { path, fd: openSync(path, "wx", 0o600) };
    } catch (err) {
      throw new BlobWriteError(err);
    }
  }

  /**
   * The hash and size of an open file from its first byte, storing nothing:
   * for outputs the store could not take (see BlobWriteError), whose hashes
   * dependents' keys still need.
   */
  hashFd(fd: number): { hash: ContentHash; size: number } {
    const digest = this.hasher.stream();
    let size = 0;
    for (;;) {
      const n = readSync(fd, this.chunk, 0, HASH_CHUNK_BYTES, size);
      if (n === 0) break;
      digest.update(this.chunk.subarray(0, n));
      size += n;
    }
    return { hash: digest.digest(), size };
  }

  /** A complete temp file: read-only now; fsync'ed and renamed into place at the next flush. */
  private addTmp(hash: ContentHash, tmpPath: string, fd: number): void {
    try {
      fchmodSync(fd, 0o444);
    } catch (err) {
      discard(tmpPath, fd);
      throw new BlobWriteError(err);
    }
    this.pending.set(hash, { hash, tmpPath, fd });
  }

  private dropCorrupt(hash: ContentHash, why: string): void {
    rmSync(this.pathOf(hash), { force: true });
    this.warn({ code: "BLOB_CORRUPT", message: `blob ${hash} was removed: ${why}` });
  }
}

const noop = (): void => undefined;
const openAsync = promisify(open);
const closeAsync = promisify(close);
const fsyncAsync = promisify(fsync);
const renameAsync = promisify(rename);
const mkdirAsync = promisify(mkdir);
const rmAsync = promisify(rm);
const writeAsync = promisify(write);

/** Renames into a shard directory, making it on the first ENOENT (once per shard in a fresh cache). */
async function renameInto(tmpPath: string, dest: string, dir: string): Promise<void> {
  try {
    await renameAsync(tmpPath, dest);
  } catch (err) {
    if (errnoCode(err) !== "ENOENT") throw err;
    await mkdirAsync(dir, { recursive: true });
    await renameAsync(tmpPath, dest);
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const fd = await openAsync(dir, "r");
  try {
    await fsyncAsync(fd);
  } finally {
    await closeAsync(fd);
  }
}

async function writeAllAsync(fd: number, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += (await writeAsync(fd, data, off, data.length - off)).bytesWritten;
}

/** writeAll into a temp blob: a failure is the store's (BlobWriteError), not the source's. */
function writeBlob(fd: number, data: Uint8Array): void {
  try {
    writeAll(fd, data);
  } catch (err) {
    throw new BlobWriteError(err);
  }
}

function writeAll(fd: number, data: Uint8Array): void {
  let off = 0;
  while (off < data.length) off += writeSync(fd, data, off, data.length - off);
}

/**
 * Reads a file whose fstat said `size` bytes (at most HASH_CHUNK_BYTES) into
 * a copy. A short read of a regular file means end of file, so an unchanged
 * file takes one read, not two; a file that grew keeps being read, up to one
 * byte past the chunk (the caller then streams the rest).
 */
function readSmall(fd: number, scratch: Buffer, size: number): Uint8Array {
  const limit = HASH_CHUNK_BYTES + 1;
  const parts: Buffer[] = [];
  let total = 0;
  let want = Math.min(size + 1, limit);
  while (total < limit) {
    const asked = Math.min(scratch.length, want);
    const n = readSync(fd, scratch, 0, asked, null);
    if (n === 0) break;
    parts.push(Buffer.from(scratch.subarray(0, n)));
    total += n;
    if (n < asked) break; // short read: end of file
    want = limit - total;
  }
  return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, total);
}

function discard(path: string, fd: number): void {
  try {
    closeSync(fd);
  } catch (err) {
    // Already closed (commit closes before renaming): nothing more to release.
    if (errnoCode(err) !== "EBADF") throw err;
  }
  rmSync(path, { force: true });
}
