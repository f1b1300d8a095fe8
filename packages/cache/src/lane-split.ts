// Hashing a large file on both cores. The two xxh64 lanes of a content hash
// (content-hash.ts) are independent passes over the same bytes, so a worker
// thread computes lane 1 while the calling thread computes lane 0, each
// reading the file itself (lane-protocol.ts). The value is that of a serial
// hash of the same bytes.
//
// Why this shape: hashing is synchronous for its callers (the stat memo asks
// for one file's state at a time), so the calling thread cannot await a
// worker's message; it blocks in Atomics.wait on shared memory once its own
// half is done. Splitting by file would be cheaper still (no second read)
// but needs a caller that hands over many files at once.
//
// Cost control: the worker starts only after LANE_WORKER_AFTER_BYTES of large
// files were hashed in this process (a no-op build never starts it); it boots
// on its own thread while this one keeps hashing serially, and a file is split
// only when the worker is idle. Nor is it split on a busy machine (the
// 1-minute load average at or above the cores): there the second read is
// pure cost, since no core is free to gain from (at load 9 on 2 cores, a
// split build spent 0.3 CPU-s more and took longer). A worker that fails a
// read or stops making progress is left, and the lane is computed here.
import { availableParallelism, loadavg } from "node:os";
import { Worker } from "node:worker_threads";
import { BATCH_MAX, Entry, hashLane, Mode, SHARED_BYTES, sharedViews, Slot, State, type LaneHash } from "./lane-protocol.js";

/** Files below this hash serially: a split costs a wake-up and a second read of the file. */
export const LANE_SPLIT_MIN_BYTES = 8 * 1024 * 1024;
/** Large-file bytes hashed in this process before the worker is worth its start (~30 ms of a core). */
export const LANE_WORKER_AFTER_BYTES = 64 * 1024 * 1024;
/** A file this large waits for a booting worker rather than hashing alone (serially it takes >= 150 ms). */
const WAIT_FOR_BOOT_BYTES = 512 * 1024 * 1024;
const BOOT_WAIT_MS = 2000;
/** The worker read nothing for this long while this thread waited: it is left, its lane computed here. */
const STALL_MS = 30_000;

/** Whether the machine has a core to spare (the load average counts this process too). */
export function coreFree(): boolean {
  return (loadavg()[0] ?? 0) < availableParallelism();
}

type Read = (fd: number, buf: Uint8Array, offset: number, length: number, position: number) => number;

export class LaneSplitter {
  private readonly sharedBuffer = new SharedArrayBuffer(SHARED_BYTES);
  private readonly views = sharedViews(this.sharedBuffer);
  private readonly ctl = this.views.ctl;
  private worker: Worker | undefined;
  private broken = false;
  private largeBytes = 0;

  private readonly coreFree: () => boolean;
  private readonly workerAfterBytes: number;

  /** `opts` are for tests: they force a split whatever the load, from the first large file. */
  constructor(
    private readonly read: Read,
    private readonly chunk: Buffer,
    opts: { coreFree?: () => boolean; workerAfterBytes?: number } = {},
  ) {
    this.coreFree = opts.coreFree ?? coreFree;
    this.workerAfterBytes = opts.workerAfterBytes ?? LANE_WORKER_AFTER_BYTES;
  }

  /**
   * Whether a file of `size` bytes should be split now. Counts large files
   * toward starting the worker; blocks only for a very large file while the
   * worker boots.
   */
  shouldSplit(size: number): boolean {
    return size >= LANE_SPLIT_MIN_BYTES && this.available(size);
  }

  /** Whether the worker can take a job of `bytes` now (the same rules as shouldSplit, for any size). */
  available(bytes: number): boolean {
    if (this.broken || !this.coreFree()) return false;
    this.largeBytes += bytes;
    if (this.worker === undefined) {
      if (this.largeBytes < this.workerAfterBytes) return false;
      this.boot();
    }
    if (bytes >= WAIT_FOR_BOOT_BYTES && Atomics.load(this.ctl, Slot.state) === State.booting) {
      Atomics.wait(this.ctl, Slot.state, State.booting, BOOT_WAIT_MS);
    }
    return !this.broken && Atomics.load(this.ctl, Slot.state) === State.idle;
  }

  /**
   * Both lanes of `fd` from byte 0: lane 0 from `h0` on this thread, lane 1
   * from the worker (or from `h1` here, when the worker could not finish).
   * Throws what this thread's reads throw. `bytes` differ when the file
   * changed length while the two read it.
   */
  hash(fd: number, h0: LaneHash, h1: () => LaneHash): { lane0: bigint; lane1: bigint; same: boolean } {
    const { ctl } = this;
    Atomics.store(ctl, Slot.fd, fd);
    this.post(Mode.lane);
    let mine: { lane: bigint; bytes: number };
    try {
      mine = hashLane(fd, h0, this.chunk, this.read);
    } catch (err) {
      // The worker must be done with the descriptor before the caller closes
      // it, and back to idle for the next file.
      this.await();
      this.take();
      throw err;
    }
    this.await();
    const theirs = this.take() === State.done ? this.laneResult() : hashLane(fd, h1(), this.chunk, this.read);
    return { lane0: mine.lane, lane1: theirs.lane, same: theirs.bytes === mine.bytes };
  }

  /** Waits for the worker to leave the job (done or failed), or gives up on it if it makes no progress. */
  private await(): void {
    const { ctl } = this;
    let progress = -1;
    let since = Date.now();
    for (;;) {
      const state = Atomics.load(ctl, Slot.state);
      if (state !== State.job) return;
      Atomics.wait(ctl, Slot.state, State.job, 1000);
      const now = Atomics.load(ctl, Slot.progress);
      if (now !== progress) {
        progress = now;
        since = Date.now();
      } else if (Date.now() - since > STALL_MS) {
        this.giveUp();
        return;
      }
    }
  }

  /**
   * Whole files, each by this thread (`here`) or by the worker (its lanes
   * given to `fromLanes`), both taking the next file from one list; at most
   * BATCH_MAX. `first` runs on this thread once the worker has the list (the
   * files kept out of it). A file the worker could not read is hashed here,
   * so its error is thrown here. Call only when available() said so.
   */
  hashFiles<T>(fds: readonly number[], here: (fd: number) => T, fromLanes: (lane0: bigint, lane1: bigint) => T, first?: () => void): T[] {
    const { ctl, entries } = this.views;
    if (fds.length > BATCH_MAX) throw new Error(`hashFiles: ${fds.length} files, at most ${BATCH_MAX}`);
    if (this.broken) return fds.map(here); // given up during an earlier list
    fds.forEach((fd, i) => {
      this.views.fds[i] = fd;
      Atomics.store(entries, i, Entry.pending);
    });
    Atomics.store(ctl, Slot.next, 0);
    Atomics.store(ctl, Slot.total, fds.length);
    this.post(Mode.files);
    const out = new Array<T | undefined>(fds.length);
    try {
      first?.();
      for (let i = Atomics.add(ctl, Slot.next, 1); i < fds.length; i = Atomics.add(ctl, Slot.next, 1)) out[i] = here(fds[i]!);
    } catch (err) {
      this.await();
      this.take();
      throw err;
    }
    this.await();
    const finished = this.take() === State.done;
    // Array.from, not out.map: map skips the holes, which are the worker's files.
    return Array.from(out, (r, i) => {
      if (r !== undefined) return r;
      if (finished && Atomics.load(entries, i) === Entry.done) return fromLanes(this.views.lanes[2 * i]!, this.views.lanes[2 * i + 1]!);
      return here(fds[i]!);
    });
  }

  private post(mode: Mode): void {
    const { ctl } = this;
    Atomics.store(ctl, Slot.mode, mode);
    Atomics.store(ctl, Slot.progress, 0);
    Atomics.store(ctl, Slot.state, State.job);
    Atomics.notify(ctl, Slot.state);
  }

  /** How the worker left its job (done or failed), the worker back to idle; undefined when it was given up. */
  private take(): State | undefined {
    const state = Atomics.load(this.ctl, Slot.state);
    if (state === State.job) return undefined; // given up: never idle again (broken)
    Atomics.store(this.ctl, Slot.state, State.idle);
    return state;
  }

  private laneResult(): { lane: bigint; bytes: number } {
    const { ctl } = this;
    return { lane: this.views.lane[0]!, bytes: Atomics.load(ctl, Slot.bytesHigh) * 2 ** 30 + Atomics.load(ctl, Slot.bytesLow) };
  }

  private boot(): void {
    try {
      const worker = new Worker(new URL("./lane-worker.js", import.meta.url), { workerData: this.sharedBuffer });
      // Seen only when the event loop runs; the stall check covers a worker
      // lost while this thread waits.
      worker.on("error", () => this.giveUp());
      worker.on("exit", () => {
        this.broken = true;
      });
      worker.unref();
      this.worker = worker;
    } catch {
      this.broken = true;
    }
  }

  private giveUp(): void {
    this.broken = true;
    void this.worker?.terminate();
  }
}
