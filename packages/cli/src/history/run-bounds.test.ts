import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { runRange } from "./history-root.js";
import { DEFAULT_MAX_HISTORY_BYTES, DEFAULT_MAX_RUNS, historyLimits, pruneRuns } from "./run-bounds.js";

/** A workspace whose runs 1..sizes.length have summaries saying those sizes. */
function workspace(sizes: readonly number[]): string {
  const root = mkdtempSync(join(tmpdir(), "flow-run-bounds-"));
  sizes.forEach((bytes, i) => {
    const dir = join(root, ".flow", "runs", String(i + 1));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "run.json"), JSON.stringify({ version: 1, run: i + 1, bytes }));
  });
  return root;
}

const left = (root: string) => readdirSync(join(root, ".flow", "runs")).map(Number).sort((a, b) => a - b);

test("pruning keeps the newest runs within the count and the size; the newest always", (t) => {
  const root = workspace([100, 100, 100, 100, 100]);
  t.after(() => rmSync(root, { recursive: true, force: true }));
  assert.deepEqual(pruneRuns(root, { maxRuns: 4, maxBytes: 1e9 }).removed, [1]);
  assert.deepEqual(pruneRuns(root, { maxRuns: 4, maxBytes: 250 }), { removed: [2, 3], kept: 2, bytesKept: 200 });
  assert.deepEqual(left(root), [4, 5]);
  assert.deepEqual(pruneRuns(root, { maxRuns: 10, maxBytes: 1 }).removed, [4]);
  assert.deepEqual(left(root), [5]);
  assert.deepEqual(pruneRuns(root, { maxRuns: 0, maxBytes: 1e9 }).removed, [5]);
  assert.deepEqual(left(root), []);
});

test("a run cut short (no summary) counts by its size on disk and is pruned like the others", (t) => {
  const root = workspace([10, 10]);
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, ".flow", "runs", "3"));
  writeFileSync(join(root, ".flow", "runs", "3", "tasks.json"), "x".repeat(500));
  assert.deepEqual(pruneRuns(root, { maxRuns: 10, maxBytes: 515 }).removed, [1]);
});

test("pruning never follows a link in place of the runs directory", (t) => {
  const root = mkdtempSync(join(tmpdir(), "flow-run-bounds-"));
  const elsewhere = workspace([1, 1, 1]);
  t.after(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(elsewhere, { recursive: true, force: true });
  });
  mkdirSync(join(root, ".flow"));
  symlinkSync(join(elsewhere, ".flow", "runs"), join(root, ".flow", "runs"));
  assert.deepEqual(pruneRuns(root, { maxRuns: 0, maxBytes: 0 }).removed, []);
  assert.deepEqual(left(elsewhere), [1, 2, 3]);
});

test("the limits come from the environment; an unreadable value is the default, with a complaint", () => {
  assert.deepEqual(historyLimits({}), { maxRuns: DEFAULT_MAX_RUNS, maxBytes: DEFAULT_MAX_HISTORY_BYTES, complaints: [] });
  assert.deepEqual(historyLimits({ FLOW_HISTORY_MAX_RUNS: "7", FLOW_HISTORY_MAX_SIZE: "1M" }), { maxRuns: 7, maxBytes: 1024 ** 2, complaints: [] });
  const bad = historyLimits({ FLOW_HISTORY_MAX_RUNS: "-1", FLOW_HISTORY_MAX_SIZE: "big" });
  assert.equal(bad.maxRuns, DEFAULT_MAX_RUNS);
  assert.equal(bad.maxBytes, DEFAULT_MAX_HISTORY_BYTES);
  assert.equal(bad.complaints.length, 2);
});

test("the runs kept are named as a range when they are one", () => {
  assert.equal(runRange([]), "none");
  assert.equal(runRange([4]), "4");
  assert.equal(runRange([5, 3, 4]), "3 to 5");
  assert.equal(runRange([1, 3, 9]), "1, 3 and 9");
});
