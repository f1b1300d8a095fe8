// The hash worker (lane-split.ts, lane-protocol.ts): lane 1 of the file the
// calling thread hashes lane 0 of, or whole files taken from a shared list
// beside the calling thread. It talks through shared memory only (the
// calling thread is blocked in Atomics.wait and takes no messages), and
// never throws out of its loop: a failed read is reported, and the caller
// hashes that file itself, so the error surfaces there exactly as in a
// serial hash.
import { readSync } from "node:fs";
import { workerData } from "node:worker_threads";
import xxhash from "xxhash-wasm";
import { Entry, hashBoth, hashLane, LANE1_SEED, LANE_READ_BYTES, Mode, sharedViews, Slot, State } from "./lane-protocol.js";

const views = sharedViews(workerData as SharedArrayBuffer);
const { ctl, lane } = views;
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
  if (Atomics.load(ctl, Slot.mode) === Mode.files) {
    hashFiles();
    setState(State.done);
    continue;
  }
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

/** Takes files from the job's list until none is left; a file it cannot read is left to the caller. */
function hashFiles(): void {
  const total = Atomics.load(ctl, Slot.total);
  for (let i = Atomics.add(ctl, Slot.next, 1); i < total; i = Atomics.add(ctl, Slot.next, 1)) {
    try {
      const [lane0, lane1] = hashBoth(Atomics.load(views.fds, i), api.create64(0n), api.create64(LANE1_SEED), chunk, readSync, onChunk);
      views.lanes[2 * i] = lane0;
      views.lanes[2 * i + 1] = lane1;
      Atomics.store(views.entries, i, Entry.done);
    } catch {
      Atomics.store(views.entries, i, Entry.failed);
    }
  }
}
