// Content hashing: 128 bits from two independent xxh64 lanes.
//
// Why xxh64 and not sha256: hashing is never the bottleneck (I/O and spawn
// are), but xxh64 runs at ~10 GB/s against ~1.5 GB/s, and the cache is not a
// security boundary on its own (remote artifacts are signed separately).
// Why two lanes: one 64-bit lane gives a birthday collision after ~2^32
// distinct contents, which a long-lived shared cache can approach; two lanes
// with different seeds make that 2^64.
//
// Format (pinned in tests, part of the on-disk format): 32 lowercase hex
// chars = lane0 (seed 0) then lane1 (seed LANE1_SEED), each zero-padded to 16.
//
// A large file's two lanes are computed on two threads (lane-split.ts); the
// value does not depend on it.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import xxhash from "xxhash-wasm";
import { LaneSplitter } from "./lane-split.js";
import { BATCH_MAX, LANE1_SEED, LANE_READ_BYTES } from "./lane-protocol.js";

export type ContentHash = string & { readonly __brand: "ContentHash" };

export interface Hasher {
  /** Strings are hashed as their UTF-8 bytes. */
  hashBytes(data: Uint8Array | string): ContentHash;
  stream(): { update(data: Uint8Array | string): void; digest(): ContentHash };
  /** Reads in chunks into a reused buffer; never holds the whole file. */
  hashFileSync(absPath: string): ContentHash;
  /**
   * Same as hashFileSync on an already open regular file, from its first
   * byte (positioned reads: the descriptor's offset is neither used nor moved).
   */
  hashFd(fd: number): ContentHash;
  /**
   * hashFd of each descriptor, in order. When several are large and a core
   * is free, a worker thread takes whole files beside this one (the small
   * ones stay here, where a hand-over would cost more than they do).
   */
  hashFds(fds: readonly number[]): ContentHash[];
}

/** hashFds gives a file to the worker from this size on. */
export const SHARED_FILE_MIN_BYTES = 1024 * 1024;

/** The chunk size of the blob store's copies (blob-store.ts); file hashing reads LANE_READ_BYTES. */
export const HASH_CHUNK_BYTES = 1024 * 1024;
const CONTENT_HASH_RE = /^[0-9a-f]{32}$/;

/** Narrows untrusted text (a decoded record, a file name) to a ContentHash. */
export function isContentHash(value: unknown): value is ContentHash {
  return typeof value === "string" && CONTENT_HASH_RE.test(value);
}

function toHash(lane0: bigint, lane1: bigint): ContentHash {
  return (lane0.toString(16).padStart(16, "0") + lane1.toString(16).padStart(16, "0")) as ContentHash;
}

let hasherPromise: Promise<Hasher> | undefined;

/** Instantiates the wasm module once per process; later calls share it. */
export function createHasher(): Promise<Hasher> {
  hasherPromise ??= xxhash().then(buildHasher);
  return hasherPromise;
}

function buildHasher(api: Awaited<ReturnType<typeof xxhash>>): Hasher {
  const utf8 = new TextEncoder();
  // One chunk buffer for every file read on this thread: hashFd is
  // synchronous, so it can never be in use twice at once.
  const chunk = Buffer.allocUnsafe(LANE_READ_BYTES);
  const splitter = new LaneSplitter(readSync, chunk);

  const stream = (): { update(data: Uint8Array | string): void; digest(): ContentHash } => {
    const lane0 = api.create64(0n);
    const lane1 = api.create64(LANE1_SEED);
    return {
      update(data) {
        const bytes = typeof data === "string" ? utf8.encode(data) : data;
        lane0.update(bytes);
        lane1.update(bytes);
      },
      digest: () => toHash(lane0.digest(), lane1.digest()),
    };
  };

  /** Both lanes on this thread; the chunk buffer holds the file's first `n` bytes. */
  const serialFrom = (fd: number, n: number): ContentHash => {
    const s = stream();
    s.update(chunk.subarray(0, n));
    for (let pos = n; ; ) {
      const m = readSync(fd, chunk, 0, LANE_READ_BYTES, pos);
      if (m === 0) break;
      s.update(chunk.subarray(0, m));
      pos += m;
    }
    return s.digest();
  };

  const hashFd = (fd: number): ContentHash => {
    const n = readSync(fd, chunk, 0, LANE_READ_BYTES, 0);
    // Most files fit in one chunk: no fstat, no split.
    if (n < LANE_READ_BYTES || !splitter.shouldSplit(fstatSync(fd).size)) return serialFrom(fd, n);
    const split = splitter.hash(fd, api.create64(0n), () => api.create64(LANE1_SEED));
    // The file changed length while the two threads read it: the lanes may
    // describe different bytes. Hash it again here, as one pass would.
    if (!split.same) return serialFrom(fd, readSync(fd, chunk, 0, LANE_READ_BYTES, 0));
    return toHash(split.lane0, split.lane1);
  };

  const hashFds = (fds: readonly number[]): ContentHash[] => {
    const sizes = fds.map((fd) => fstatSync(fd).size);
    // Largest first, so that the two threads end close together.
    const big = fds.map((_, i) => i).filter((i) => sizes[i]! >= SHARED_FILE_MIN_BYTES).sort((a, b) => sizes[b]! - sizes[a]!);
    const out = new Array<ContentHash>(fds.length);
    const bigBytes = big.reduce((n, i) => n + sizes[i]!, 0);
    if (big.length < 2 || !splitter.available(bigBytes)) {
      fds.forEach((fd, i) => (out[i] = hashFd(fd)));
      return out;
    }
    const small = (): void => fds.forEach((fd, i) => void (sizes[i]! < SHARED_FILE_MIN_BYTES && (out[i] = hashFd(fd))));
    for (let at = 0; at < big.length; at += BATCH_MAX) {
      const group = big.slice(at, at + BATCH_MAX);
      // A file of the list is hashed whole on one thread: no split inside it.
      const hashes = splitter.hashFiles(group.map((i) => fds[i]!), (fd) => serialFrom(fd, readSync(fd, chunk, 0, LANE_READ_BYTES, 0)), toHash, at === 0 ? small : undefined);
      group.forEach((i, k) => (out[i] = hashes[k]!));
    }
    return out;
  };

  return {
    hashFds,
    hashBytes(data) {
      const bytes = typeof data === "string" ? utf8.encode(data) : data;
      return toHash(api.h64Raw(bytes, 0n), api.h64Raw(bytes, LANE1_SEED));
    },
    stream,
    hashFd,
    hashFileSync(absPath) {
      const fd = openSync(absPath, "r");
      try {
        // A directory opens fine on Linux and fails at read with EISDIR;
        // checking first gives the clearer error.
        if (fstatSync(fd).isDirectory()) {
          throw Object.assign(new Error(`EISDIR: is a directory, hash '${absPath}'`), { code: "EISDIR" });
        }
        return hashFd(fd);
      } finally {
        closeSync(fd);
      }
    },
  };
}
