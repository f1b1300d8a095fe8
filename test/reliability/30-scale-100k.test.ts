// RELIABILITY 30: 100,000 tasks, and a chain 100,000 tasks long, are read,
// checked, planned and (the chain) built without a stack overflow: every walk
// of the graph (reading, cycle check, keys, plan, scheduler, report) is
// iterative or bounded. Both shapes run end to end through the flow binary
// on Node's default stack.
//
// Cost: no timing is asserted (planning time is measured in bench/, see
// docs/benchmarks.md). The chain's links have no recipe, so its build spawns
// one recipe (t0's) and walks 100,000 tasks; the 100,000 independent tasks
// are only planned (`flow status`), since running them would spawn 100,000
// shells. Each run is a few seconds of CPU.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { cleanup, flow, writeProject } from "../e2e/support.js";

const N = 100_000;
const dirs: string[] = [];
after(() => dirs.forEach(cleanup));

test("RELIABILITY 30: a 100,000-long chain is planned and built, no stack overflow", () => {
  // all -> t99999 -> ... -> t1 -> t0; t0 makes a file, the links are aggregates.
  const rules = [".PHONY: all", `all: t${N - 1}`];
  for (let i = N - 1; i > 0; i--) rules.push(`t${i}: t${i - 1}`);
  rules.push("t0:", "\techo bottom > $@", "");
  const dir = writeProject({ Flowfile: rules.join("\n") });
  dirs.push(dir);

  // --plan ascii: the plan fits a screen (the middle layers fold), where the plain list would be 100,000 lines.
  const status = flow(["status", "--plan", "ascii"], { cwd: dir, timeoutMs: 300_000 });
  assert.equal(status.code, 1, status.stderr.slice(0, 2000));
  const lines = status.stdout.split("\n");
  assert.equal(lines[0], `flow plan of all: ${N + 1} tasks: 1 stale, ${N} waiting, 0 cached, 0 fresh`);
  const col = (layer: string) => layer.padStart(String(N).length); // the layer column is as wide as the deepest layer's number
  assert.ok(lines.includes(`${col("0")} | t0 [S]`), status.stdout);
  assert.ok(lines.includes(`${col("..")} | layers 20-${N - 19}: ${N - 38} tasks (${N - 38} waiting) [W] <- t19`), status.stdout);
  assert.ok(lines.includes(`${N} | all [W] <- t${N - 1}`), status.stdout);

  const build = flow(["build"], { cwd: dir, timeoutMs: 300_000 });
  assert.equal(build.code, 0, build.stderr.slice(0, 2000));
  assert.match(build.stdout, new RegExp(`^flow: done: 1 ran, ${N} up to date \\(`, "m"), "every link was scheduled and finished");
  assert.match(build.stdout, /^ +ran +t0 /m);
});

test("RELIABILITY 30: 100,000 independent tasks are planned", () => {
  const rules = [".PHONY: all", "TASKS :="];
  for (let i = 0; i < N; i++) rules.push(`TASKS += out/t${i}`);
  rules.push("all: $(TASKS)", "out/t%:", "\t@mkdir -p out", "\ttouch $@", "");
  const dir = writeProject({ Flowfile: rules.join("\n") });
  dirs.push(dir);
  const status = flow(["status", "--plan", "ascii"], { cwd: dir, timeoutMs: 300_000 });
  assert.equal(status.code, 1, status.stderr.slice(0, 2000));
  const lines = status.stdout.split("\n");
  assert.equal(lines[0], `flow plan of all: ${N + 1} tasks: ${N} stale, 1 waiting, 0 cached, 0 fresh`);
  assert.ok(lines.includes(`0 | out/t% x${N} (${N} stale) [S]`), status.stdout);
  assert.ok(lines.includes("1 | all [W] <- out/t%"), status.stdout);
});
