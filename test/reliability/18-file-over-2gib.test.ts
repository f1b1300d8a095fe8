// RELIABILITY 18: files over 2 GiB are hashed as a stream, never held in
// memory whole. A sparse 2200 MiB file (no disk for its holes) is the input
// of a recipe that copies it, sparse, to its output: flow hashes the input,
// stores the output in the blob store, and, once the output is deleted,
// restores it (verifying its hash as it copies). Its peak RSS, polled from
// /proc/PID/status (VmHWM, the kernel's high-water mark) while each build
// runs, stays far below the file's size: a whole read would show as at
// least the file's size (and Node cannot even read a file this big into one
// Buffer). Marker bytes sit at 0, at exactly 2 GiB and at the end, so an
// offset cut to 32 bits would move or lose them.
//
// What it costs: the blob (2200 MiB) and the restored output (no longer
// sparse: the blob store writes every byte) are real disk; the test skips,
// saying why, when the disk has less than three times the file free. The
// hashing is ~2 s of CPU per pass; the writes depend on the disk.
import assert from "node:assert/strict";
import { closeSync, openSync, readFileSync, readSync, rmSync, statfsSync, statSync, truncateSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { cleanup, flow, flowAsync, withStatus, writeProject, type FlowRun, type JsonSummary } from "../e2e/support.js";

const MiB = 1024 * 1024;
const SIZE = 2200 * MiB;
const GiB2 = 2 * 1024 * MiB;
/** Far below the file, far above Node's own footprint (~70 MiB here). */
const RSS_LIMIT_KIB = (512 * MiB) / 1024;
const MARKERS: [number, string][] = [
  [0, "first bytes"],
  [GiB2, "at 2 GiB exactly"],
  [SIZE - 8, "the end"],
];

function freeBytes(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

function writeMarkers(path: string): void {
  const fd = openSync(path, "r+");
  try {
    for (const [at, text] of MARKERS) writeSync(fd, text.slice(0, Math.min(text.length, SIZE - at)), at);
  } finally {
    closeSync(fd);
  }
}

function readAt(path: string, at: number, length: number): string {
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.alloc(length);
    const n = readSync(fd, buf, 0, length, at);
    return buf.subarray(0, n).toString("latin1");
  } finally {
    closeSync(fd);
  }
}

/** `flow build --json`, with the highest VmHWM seen in /proc while it ran (KiB). */
async function buildMeasured(dir: string): Promise<FlowRun & { summary: JsonSummary; peakKiB: number }> {
  const run = flowAsync(["build", "--json"], { cwd: dir });
  let peakKiB = 0;
  let exited = false;
  run.child.on("exit", () => (exited = true));
  while (!exited) {
    try {
      const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${run.child.pid}/status`, "utf8"));
      if (m) peakKiB = Math.max(peakKiB, Number(m[1]));
    } catch {
      // gone between the check and the read: the last reading stands
    }
    await sleep(20);
  }
  const r = await run.done;
  assert.ok(peakKiB > 0, "VmHWM was read at least once");
  return { ...r, summary: JSON.parse(r.stdout) as JsonSummary, peakKiB };
}

const needed = 3 * SIZE + 512 * MiB;
const free = freeBytes(tmpdir());
const skip =
  process.platform !== "linux"
    ? "needs /proc/PID/status (Linux)"
    : free < needed
      ? `needs ${Math.round(needed / MiB)} MiB free on the temp dir's disk, has ${Math.round(free / MiB)} MiB`
      : false;

test("RELIABILITY 18: a 2200 MiB input and output are hashed, stored and restored as streams, with a small peak RSS", { skip, timeout: 600_000 }, async (t) => {
  const dir = writeProject({ Flowfile: "big.out: big.in\n\tcp --sparse=always big.in big.out\n" });
  try {
    const input = join(dir, "big.in");
    closeSync(openSync(input, "w"));
    truncateSync(input, SIZE); // sparse: no disk for the holes
    writeMarkers(input);

    const first = await buildMeasured(dir);
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(withStatus(first.summary, "ran"), ["big.out"]);
    assert.ok(first.peakKiB < RSS_LIMIT_KIB, `build: peak RSS ${first.peakKiB} KiB for a ${SIZE / MiB} MiB file`);

    rmSync(join(dir, "big.out"));
    const restored = await buildMeasured(dir);
    assert.equal(restored.code, 0, restored.stderr);
    assert.deepEqual(withStatus(restored.summary, "restored"), ["big.out"], "restored from the blob, verified as it was copied");
    assert.ok(restored.peakKiB < RSS_LIMIT_KIB, `restore: peak RSS ${restored.peakKiB} KiB`);
    t.diagnostic(`peak RSS of flow: ${first.peakKiB} KiB building, ${restored.peakKiB} KiB restoring, for a ${SIZE / 1024} KiB file`);
    const out = join(dir, "big.out");
    assert.equal(statSync(out).size, SIZE);
    for (const [at, text] of MARKERS) assert.equal(readAt(out, at, text.length), text.slice(0, SIZE - at), `marker "${text}" at ${at}`);
    assert.equal(readAt(out, GiB2 - 4, 4), "\0\0\0\0", "the holes came back as zeros");

    // A byte changed past 2 GiB (same size) changes the input's hash: the task is stale.
    rmSync(out);
    const fd = openSync(input, "r+");
    writeSync(fd, "AT", GiB2);
    closeSync(fd);
    const status = flow(["status"], { cwd: dir });
    assert.equal(status.code, 1, status.stdout + status.stderr);
    assert.match(status.stdout, /^ +stale +big\.out +input changed: big\.in$/m, status.stdout);
  } finally {
    cleanup(dir); // 4.4 GB of blob and output: never leave them behind
  }
});
