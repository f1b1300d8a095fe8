import assert from "node:assert/strict";
import { closeSync, openSync, readSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import xxhash from "xxhash-wasm";
import { createHasher } from "./content-hash.js";
import { tempDir } from "./fixtures.js";
import { LANE1_SEED, LANE_READ_BYTES } from "./lane-protocol.js";
import { LANE_SPLIT_MIN_BYTES, LaneSplitter } from "./lane-split.js";

/** A splitter forced to use its worker from the first large file, whatever the machine's load. */
async function readySplitter(size: number): Promise<LaneSplitter> {
  const s = new LaneSplitter(readSync, Buffer.allocUnsafe(LANE_READ_BYTES), { coreFree: () => true, workerAfterBytes: 0 });
  for (let i = 0; i < 400; i++) {
    if (s.shouldSplit(size)) return s;
    await sleep(50); // the worker boots on its own thread
  }
  throw new Error("the lane worker never became ready");
}

test("a split hash has the serial hash's lanes, bytes counted alike", async (t) => {
  const api = await xxhash();
  const size = LANE_SPLIT_MIN_BYTES + 3 * LANE_READ_BYTES + 12345;
  const data = Buffer.alloc(size);
  for (let i = 0; i + 4 <= size; i += 4) data.writeUInt32LE((i * 2654435761) >>> 0, i);
  const file = join(tempDir(t), "big.bin");
  writeFileSync(file, data);
  const s = await readySplitter(size);
  const fd = openSync(file, "r");
  try {
    for (let round = 0; round < 2; round++) {
      const r = s.hash(fd, api.create64(0n), () => api.create64(LANE1_SEED));
      assert.equal(r.same, true);
      assert.equal(r.lane0, api.h64Raw(data, 0n));
      assert.equal(r.lane1, api.h64Raw(data, LANE1_SEED), `round ${round}: the worker's lane`);
    }
  } finally {
    closeSync(fd);
  }
  // And the content hash built from them is the one-shot hash of the bytes.
  const h = await createHasher();
  assert.equal(h.hashFileSync(file), h.hashBytes(data));
});

test("a read error in a split hash is thrown here, and the worker takes the next file", async (t) => {
  const api = await xxhash();
  const dir = tempDir(t);
  const data = Buffer.alloc(LANE_SPLIT_MIN_BYTES, 7);
  writeFileSync(join(dir, "ok.bin"), data);
  const s = await readySplitter(LANE_SPLIT_MIN_BYTES);
  const dirFd = openSync(dir, "r"); // opens; every read fails with EISDIR, in both threads
  try {
    assert.throws(() => s.hash(dirFd, api.create64(0n), () => api.create64(LANE1_SEED)), { code: "EISDIR" });
  } finally {
    closeSync(dirFd);
  }
  assert.equal(s.shouldSplit(LANE_SPLIT_MIN_BYTES), true, "the worker is idle again");
  const fd = openSync(join(dir, "ok.bin"), "r");
  try {
    const r = s.hash(fd, api.create64(0n), () => api.create64(LANE1_SEED));
    assert.equal(r.lane1, api.h64Raw(data, LANE1_SEED));
  } finally {
    closeSync(fd);
  }
});

test("a list of files hashed by both threads gives each file its serial hash, in order", async (t) => {
  const api = await xxhash();
  const dir = tempDir(t);
  const datas = [3, 1, 2].map((k) => {
    const d = Buffer.alloc(LANE_SPLIT_MIN_BYTES / 4 + k * 1000);
    for (let i = 0; i + 4 <= d.length; i += 4) d.writeUInt32LE((i * 2654435761 + k) >>> 0, i);
    return d;
  });
  const fds = datas.map((d, k) => {
    writeFileSync(join(dir, `f${k}`), d);
    return openSync(join(dir, `f${k}`), "r");
  });
  try {
    const s = await readySplitter(LANE_SPLIT_MIN_BYTES);
    let here = 0;
    const r = s.hashFiles(
      fds,
      (fd) => {
        // Slow on this thread, so the worker surely takes some of the list.
        if (here++ === 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1500);
        return `here:${api.h64Raw(datas[fds.indexOf(fd)]!, 0n)}:${api.h64Raw(datas[fds.indexOf(fd)]!, LANE1_SEED)}`;
      },
      (l0, l1) => `worker:${l0}:${l1}`,
    );
    assert.ok(here < fds.length, "the worker hashed some of the files");
    assert.equal(r.length, fds.length);
    for (let k = 0; k < fds.length; k++) {
      const v = String(r[k]);
      assert.equal(v.slice(v.indexOf(":")), `:${api.h64Raw(datas[k]!, 0n)}:${api.h64Raw(datas[k]!, LANE1_SEED)}`, `file ${k}: ${v}`);
    }
    assert.ok(r.some((v) => v.startsWith("worker:")), `the worker's lanes are used: ${r.join(", ")}`);
    // And through the hasher (whichever way it goes on this machine now): each file's own hash.
    const h = await createHasher();
    assert.deepEqual(h.hashFds(fds), datas.map((d) => h.hashBytes(d)));
  } finally {
    for (const fd of fds) closeSync(fd);
  }
});
