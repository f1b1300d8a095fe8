// The shared-memory protocol of the hash worker (lane-split.ts). Two kinds
// of job: `lane`, where the worker computes lane 1 of a file while the
// calling thread computes lane 0, each reading the file on its own with
// positioned reads; and `files`, where both threads take whole files from
// one list (a shared counter) until none is left. The only synchronisation
// is the job's hand-over, the counter and the results: no lock-step per
// chunk. A shared ring read once (tried first) spent 40% more CPU than a
// serial hash on a busy machine, in wake-ups and cross-core copies; reading
// the file twice from the page cache costs one more memcpy of it.

/** Arbitrary odd 64-bit constant (the golden ratio); changing it changes every hash. */
export const LANE1_SEED = 0x9e3779b97f4a7c15n;

/**
 * Read size when hashing a file. In one warm process 256 KiB beat 1 MiB
 * (2.99-3.36 against 2.45-3.16 GB/s for both lanes over 1 GiB in the page
 * cache: a chunk is copied into wasm memory once per lane, and at 256 KiB it
 * is still in the CPU's cache for the second copy); in fresh processes on a
 * loaded machine 256 KiB, 512 KiB and 1 MiB were within noise (510-580 CPU-ms
 * per GiB).
 */
export const LANE_READ_BYTES = 256 * 1024;

/** Int32 slots of the control block. */
export const enum Slot {
  state = 0,
  fd = 1,
  /** Chunks the worker read of the current job: tells a slow read from a lost worker. */
  progress = 2,
  bytesLow = 3,
  bytesHigh = 4,
  mode = 5,
  /** A `files` job: the next index to take, and how many there are. */
  next = 6,
  total = 7,
  count = 8, // even, so the BigUint64s after it are 8-byte aligned
}

export const enum Mode {
  lane = 0,
  files = 1,
}

/** A `files` job's entries, each: pending, then done (its lanes written) or failed (to be hashed by the caller). */
export const enum Entry {
  pending = 0,
  done = 1,
  failed = 2,
}

/** Files in one `files` job; a longer list goes in several. */
export const BATCH_MAX = 128;

export const enum State {
  booting = 0,
  idle = 1,
  job = 2,
  done = 3,
  /** The worker could not finish (a read failed): the caller computes the lane itself. */
  failed = 4,
}

// Layout: the control block, the `lane` job's result, then a `files` job's
// descriptors, entry states and lanes (two per file).
const LANE_AT = Slot.count * 4;
const FDS_AT = LANE_AT + 8;
const ENTRIES_AT = FDS_AT + BATCH_MAX * 4;
const LANES_AT = ENTRIES_AT + BATCH_MAX * 4;
export const SHARED_BYTES = LANES_AT + BATCH_MAX * 16;

export interface SharedViews {
  ctl: Int32Array;
  lane: BigUint64Array;
  fds: Int32Array;
  entries: Int32Array;
  lanes: BigUint64Array;
}

export function sharedViews(shared: SharedArrayBuffer): SharedViews {
  return {
    ctl: new Int32Array(shared, 0, Slot.count),
    lane: new BigUint64Array(shared, LANE_AT, 1),
    fds: new Int32Array(shared, FDS_AT, BATCH_MAX),
    entries: new Int32Array(shared, ENTRIES_AT, BATCH_MAX),
    lanes: new BigUint64Array(shared, LANES_AT, 2 * BATCH_MAX),
  };
}

export interface LaneHash {
  update(data: Uint8Array): unknown;
  digest(): bigint;
}

type Read = (fd: number, buf: Uint8Array, offset: number, length: number, position: number) => number;

/** Both lanes of the file behind `fd`, from byte 0 to the end, in one pass through `chunk`. */
export function hashBoth(fd: number, h0: LaneHash, h1: LaneHash, chunk: Buffer, read: Read, onChunk?: () => void): [bigint, bigint] {
  for (let pos = 0; ; ) {
    const n = read(fd, chunk, 0, chunk.length, pos);
    if (n === 0) break;
    const bytes = chunk.subarray(0, n);
    h0.update(bytes);
    h1.update(bytes);
    pos += n;
    onChunk?.();
  }
  return [h0.digest(), h1.digest()];
}

/**
 * One lane of the file behind `fd`, from byte 0 to the end, through `chunk`.
 * `onChunk` is told of each chunk read.
 */
export function hashLane(
  fd: number,
  h: LaneHash,
  chunk: Buffer,
  read: Read,
  onChunk?: () => void,
): { lane: bigint; bytes: number } {
  let pos = 0;
  for (;;) {
    const n = read(fd, chunk, 0, chunk.length, pos);
    if (n === 0) break;
    h.update(chunk.subarray(0, n));
    pos += n;
    onChunk?.();
  }
  return { lane: h.digest(), bytes: pos };
}
