// The shared-memory protocol of a lane-split file hash (lane-split.ts): the
// worker computes lane 1 of a file while the calling thread computes lane 0,
// each reading the file on its own with positioned reads. The only
// synchronisation is the job's hand-over and its result: no lock-step per
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

/** Int32 slots of the control block, then one BigUint64 (the worker's lane). */
export const enum Slot {
  state = 0,
  fd = 1,
  /** Chunks the worker read of the current job: tells a slow read from a lost worker. */
  progress = 2,
  bytesLow = 3,
  bytesHigh = 4,
  count = 6, // even, so the BigUint64 after it is 8-byte aligned
}

export const enum State {
  booting = 0,
  idle = 1,
  job = 2,
  done = 3,
  /** The worker could not finish (a read failed): the caller computes the lane itself. */
  failed = 4,
}

export const SHARED_BYTES = Slot.count * 4 + 8;

export interface LaneHash {
  update(data: Uint8Array): unknown;
  digest(): bigint;
}

/**
 * One lane of the file behind `fd`, from byte 0 to the end, through `chunk`.
 * `onChunk` is told of each chunk read.
 */
export function hashLane(
  fd: number,
  h: LaneHash,
  chunk: Buffer,
  read: (fd: number, buf: Uint8Array, offset: number, length: number, position: number) => number,
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
