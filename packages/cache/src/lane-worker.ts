// The worker side of a lane-split file hash (lane-split.ts): lane 1 of the
// file the calling thread hashes lane 0 of. It talks through shared memory
// only (the calling thread is blocked in Atomics.wait and takes no
// messages), and never throws out of its loop: a failed read is reported as
// `failed`, and the caller computes the lane itself, so the error surfaces
// there exactly as in a serial hash.
import { readSync } from "node:fs";
import { workerData } from "node:worker_threads";
import xxhash from "xxhash-wasm";
import { hashLane, LANE1_SEED, LANE_READ_BYTES, Slot, State } from "./lane-protocol.js";

const shared = workerData as SharedArrayBuffer;
const ctl = new Int32Array(shared, 0, Slot.count);
const lane = new BigUint64Array(shared, Slot.count * 4, 1);
const api = await xxhash();
const chunk = Buffer.allocUnsafe(LANE_READ_BYTES);
const onChunk = (): void => void Atomics.add(ctl, Slot.progress, 1);

const setState = (state: State): void => {
  Atomics.store(ctl, Slot.state, state);
  Atomics.notify(ctl, Slot.state);
};

setState(State.idle);
for (;;) {
  for (let s = Atomics.load(ctl, Slot.state); s !== State.job; s = Atomics.load(ctl, Slot.state)) Atomics.wait(ctl, Slot.state, s);
  try {
    const r = hashLane(Atomics.load(ctl, Slot.fd), api.create64(LANE1_SEED), chunk, readSync, onChunk);
    lane[0] = r.lane;
    // Two int32 halves: a file can pass 2^31 bytes.
    Atomics.store(ctl, Slot.bytesLow, r.bytes % 2 ** 30);
    Atomics.store(ctl, Slot.bytesHigh, Math.floor(r.bytes / 2 ** 30));
    setState(State.done);
  } catch {
    setState(State.failed);
  }
}
