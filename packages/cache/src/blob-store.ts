// The content-addressed blob store: blobs/<first two hex>/<32 hex>.
//
// Invariant: a blob under its final name is complete and durable. Every
// write goes to tmp/ and is made read-only; `flush()` then fsyncs the temp
// files (in the thread pool, in parallel), renames them into place (rename is
// atomic within one file system, and tmp/ is a sibling of blobs/ for that
// reason) and fsyncs the shard directories. The caller writes the LMDB record
// that names a blob only after a flush that began after the blob was written
// has resolved (LocalCache.putAction does this). Durability is deferred, not
// skipped: fsync latency (several per task) is paid off the main thread and
// off the task's critical path instead of blocking every spawn.
// A SIGKILL mid-write leaves only a temp file, swept at the next open.
//
// Blobs are immutable and named by their hash, so two processes writing the
// same blob race harmlessly: the second rename replaces identical bytes.
// Reads always re-hash: a blob that does not match its name is deleted and
// reported, and the caller treats it as a miss.
import {
  closeSync,
  existsSync,
  fchmodSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { fsync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { errnoCode, type WarningSink } from "./cache-warning.js";
import { HASH_CHUNK_BYTES, type ContentHash, type Hasher } from "./content-hash.js";

export type CopyResult = { ok: true } | { ok: false; reason: "blob-missing" | "blob-corrupt" };

export class BlobStore {
  private readonly blobsDir: string;
  private readonly tmpDir: string;
  private readonly chunk = Buffer.allocUnsafe(HASH_CHUNK_BYTES);
  /** Complete, read-only temp files waiting for flush(): fsync, rename, dir fsync. */
  private pending: { tmpPath: string; fd: number; dest: string; dir: string }[] = [];
  /** Resolves when every batch handed to flush() so far is durable. */
  private flushed: Promise<void> = Promise.resolve();

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

  has(hash: ContentHash): boolean {
    return existsSync(this.pathOf(hash));
  }

  putBytes(data: Uint8Array): ContentHash {
    const hash = this.hasher.hashBytes(data);
    if (!this.has(hash)) {
      const { path, fd } = this.openTmp();
      try {
        writeAll(fd, data);
      } catch (err) {
        discard(path, fd);
        throw err;
      }
      this.commit(path, fd, hash);
    }
    return hash;
  }

  /**
   * Stores the rest of an open file. Small files are read whole and written
   * only when the blob is new; larger ones are copied to a temp file while
   * hashed, in one pass, since the name is known only at the end.
   */
  putFromFd(fd: number, size: number): { hash: ContentHash; size: number } {
    if (size <= HASH_CHUNK_BYTES) {
      const data = readUpTo(fd, this.chunk, HASH_CHUNK_BYTES + 1);
      if (data.length <= HASH_CHUNK_BYTES) return { hash: this.putBytes(data), size: data.length };
      // It grew while we read: fall through to the streaming copy of what is left,
      // after storing what we have in the temp file.
      return this.streamToBlob(fd, data);
    }
    return this.streamToBlob(fd, new Uint8Array(0));
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
   * Makes every blob written before this call durable and visible under its
   * final name. Resolves after this batch and all earlier ones are done, so
   * a caller never sees an earlier, still-running batch as finished.
   */
  flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    const done = batch.length === 0 ? Promise.resolve() : flushBatch(batch);
    this.flushed = Promise.all([this.flushed, done]).then(() => undefined);
    return this.flushed;
  }

  private streamToBlob(fd: number, head: Uint8Array): { hash: ContentHash; size: number } {
    const { path, fd: out } = this.openTmp();
    const digest = this.hasher.stream();
    let size = head.length;
    try {
      if (head.length > 0) {
        digest.update(head);
        writeAll(out, head);
      }
      for (;;) {
        const n = readSync(fd, this.chunk, 0, HASH_CHUNK_BYTES, null);
        if (n === 0) break;
        const bytes = this.chunk.subarray(0, n);
        digest.update(bytes);
        writeAll(out, bytes);
        size += n;
      }
    } catch (err) {
      discard(path, out);
      throw err;
    }
    const hash = digest.digest();
    if (this.has(hash)) {
      discard(path, out);
      return { hash, size };
    }
    this.commit(path, out, hash);
    return { hash, size };
  }

  private openTmp(): { path: string; fd: number } {
    const path = join(this.tmpDir, `${process.pid}-${randomBytes(6).toString("hex")}`);
    return { path, fd: openSync(path, "wx", 0o600) };
  }

  /** Read-only now; fsync and rename into place at the next flush (the atomicity invariant). */
  private commit(tmpPath: string, fd: number, hash: ContentHash): void {
    try {
      fchmodSync(fd, 0o444);
    } catch (err) {
      discard(tmpPath, fd);
      throw err;
    }
    this.pending.push({ tmpPath, fd, dest: this.pathOf(hash), dir: join(this.blobsDir, hash.slice(0, 2)) });
  }

  private dropCorrupt(hash: ContentHash, why: string): void {
    rmSync(this.pathOf(hash), { force: true });
    this.warn({ code: "BLOB_CORRUPT", message: `blob ${hash} was removed: ${why}` });
  }
}

const fsyncAsync = promisify(fsync);

async function flushBatch(batch: { tmpPath: string; fd: number; dest: string; dir: string }[]): Promise<void> {
  try {
    await Promise.all(batch.map((b) => fsyncAsync(b.fd)));
  } catch (err) {
    for (const b of batch) discard(b.tmpPath, b.fd);
    throw err;
  }
  const dirs = new Set<string>();
  for (const b of batch) {
    closeSync(b.fd);
    try {
      mkdirSync(b.dir, { recursive: true });
      renameSync(b.tmpPath, b.dest);
    } catch (err) {
      rmSync(b.tmpPath, { force: true });
      throw err;
    }
    dirs.add(b.dir);
  }
  // The renames themselves survive a power cut only once their directories are synced.
  await Promise.all(
    [...dirs].map(async (dir) => {
      const fd = openSync(dir, "r");
      try {
        await fsyncAsync(fd);
      } finally {
        closeSync(fd);
      }
    }),
  );
}

function writeAll(fd: number, data: Uint8Array): void {
  let off = 0;
  while (off < data.length) off += writeSync(fd, data, off, data.length - off);
}

/** Reads until EOF or `limit` bytes; returns a copy (the scratch buffer is reused). */
function readUpTo(fd: number, scratch: Buffer, limit: number): Uint8Array {
  const parts: Buffer[] = [];
  let total = 0;
  while (total < limit) {
    const n = readSync(fd, scratch, 0, Math.min(scratch.length, limit - total), null);
    if (n === 0) break;
    parts.push(Buffer.from(scratch.subarray(0, n)));
    total += n;
  }
  return Buffer.concat(parts, total);
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
