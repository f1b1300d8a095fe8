// The build history is bounded (docs/history.md): at most
// FLOW_HISTORY_MAX_RUNS runs and FLOW_HISTORY_MAX_SIZE of them, the oldest
// pruned at the end of each build and by `flow cache gc`.
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { cleanup, flow, tempDir, writeProject } from "./support.js";

function kept(dir: string): number[] {
  return readdirSync(join(dir, ".flow", "runs"))
    .filter((n) => /^[0-9]+$/.test(n))
    .map(Number)
    .sort((a, b) => a - b);
}

function listed(dir: string): number[] {
  const r = flow(["runs", "--json"], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { runs: { run: number }[] }).runs.map((x) => x.run);
}

test("each build prunes the history to FLOW_HISTORY_MAX_RUNS and FLOW_HISTORY_MAX_SIZE, oldest first", () => {
  const dir = writeProject({ Flowfile: "a.txt:\n\techo a > $@\n" });
  try {
    for (let i = 0; i < 3; i++) assert.equal(flow(["build"], { cwd: dir, env: { FLOW_HISTORY_MAX_RUNS: "2" } }).code, 0);
    assert.deepEqual(kept(dir), [2, 3]);
    assert.deepEqual(listed(dir), [3, 2]);
    // A size no run fits in: only the newest stays (the build just made is kept whole).
    assert.equal(flow(["build"], { cwd: dir, env: { FLOW_HISTORY_MAX_SIZE: "1" } }).code, 0);
    assert.deepEqual(kept(dir), [4]);
    // 0 runs: no history at all.
    assert.equal(flow(["build"], { cwd: dir, env: { FLOW_HISTORY_MAX_RUNS: "0" } }).code, 0);
    assert.deepEqual(kept(dir), []);
    const none = flow(["runs"], { cwd: dir });
    assert.match(none.stdout, /no builds recorded yet/);
  } finally {
    cleanup(dir);
  }
});

test("flow cache gc prunes the history too: to --keep-runs, or to FLOW_HISTORY_MAX_RUNS", () => {
  const dir = writeProject({ Flowfile: "a.txt:\n\techo a > $@\n" });
  try {
    for (let i = 0; i < 3; i++) assert.equal(flow(["build"], { cwd: dir }).code, 0);
    assert.deepEqual(kept(dir), [1, 2, 3]);
    const byEnv = flow(["cache", "gc"], { cwd: dir, env: { FLOW_HISTORY_MAX_RUNS: "2" } });
    assert.equal(byEnv.code, 0, byEnv.stderr);
    assert.match(byEnv.stdout, /history: removed 1 runs, kept 2/);
    assert.deepEqual(kept(dir), [2, 3]);
    const byFlag = flow(["cache", "gc", "--keep-runs", "1", "--json"], { cwd: dir });
    assert.equal(byFlag.code, 0, byFlag.stderr);
    assert.deepEqual((JSON.parse(byFlag.stdout) as { runs: { removed: number[]; kept: number } }).runs, { ...(JSON.parse(byFlag.stdout) as { runs: object }).runs, removed: [2], kept: 1 });
    assert.deepEqual(kept(dir), [3]);
    // The next build goes on numbering from the newest kept.
    assert.equal(flow(["build"], { cwd: dir }).code, 0);
    assert.deepEqual(kept(dir), [3, 4]);
    const bad = flow(["cache", "gc", "--keep-runs", "many"], { cwd: dir });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--keep-runs needs a whole number/);
  } finally {
    cleanup(dir);
  }
});

test("a link in place of .flow/runs is never written or read through: the build succeeds unrecorded", () => {
  const dir = writeProject({ Flowfile: "a.txt:\n\techo a > $@\n" });
  const outside = tempDir("flow-history-outside-");
  try {
    // What the link points at looks like a history: it must be neither pruned, nor added to, nor listed.
    mkdirSync(join(outside, "7"));
    writeFileSync(join(outside, "7", "run.json"), "{}");
    mkdirSync(join(dir, ".flow"));
    symlinkSync(outside, join(dir, ".flow", "runs"));
    const r = flow(["build"], { cwd: dir, env: { FLOW_HISTORY_MAX_RUNS: "0" } });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readdirSync(outside), ["7"]);
    assert.deepEqual(readdirSync(join(outside, "7")), ["run.json"]);
    assert.match(flow(["runs"], { cwd: dir }).stdout, /no builds recorded yet/);
    assert.match(flow(["runs", "show", "7"], { cwd: dir }).stderr, /RUN_NOT_FOUND: no builds are recorded/);
  } finally {
    cleanup(dir);
    cleanup(outside);
  }
});
