// RELIABILITY 13: a dependency cycle exits 2 before anything runs and prints
// the whole path, also when it goes through a rule with several targets (one
// task). Nothing in the project is touched.
import assert from "node:assert/strict";
import { test } from "node:test";
import { cleanup, flow, writeProject } from "../e2e/support.js";
import { treeSnapshot } from "./tree-snapshot.js";

/**
 * The printed cycle `A -> B -> ... -> A` visits every task of `tasks` once
 * and follows only edges of `needs` (task -> a task it needs), whichever task it starts at.
 */
function assertWholeCycle(stderr: string, tasks: string[], needs: [string, string][]): void {
  const m = /error FLOW005: dependency cycle: (.*)$/m.exec(stderr);
  assert.ok(m, stderr);
  const path = (m[1] as string).split(" -> ");
  assert.equal(path[0], path[path.length - 1], `${stderr}\nthe path closes`);
  assert.deepEqual(path.slice(1).sort(), [...tasks].sort(), `${stderr}\nevery task of the cycle, once`);
  for (let i = 1; i < path.length; i++) {
    const edge = `${path[i - 1]} -> ${path[i]}`;
    assert.ok(needs.some(([a, b]) => `${a} -> ${b}` === edge), `${stderr}\n${edge} is not an edge of the Flowfile`);
  }
}

function refused(files: Record<string, string>, args: string[], tasks: string[], needs: [string, string][]): void {
  const dir = writeProject(files);
  try {
    const before = treeSnapshot(dir);
    const r = flow(args, { cwd: dir });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^Flowfile:\d+:\d+: error FLOW005: /m, "it says where");
    assertWholeCycle(r.stderr, tasks, needs);
    assert.deepEqual(treeSnapshot(dir), before, "nothing may be run or written");
  } finally {
    cleanup(dir);
  }
}

test("RELIABILITY 13: a cycle of four tasks, asked for through a goal outside it: the whole path", () => {
  const flowfile = "all: a ok\nok:\n\ttouch ok\na: b\n\ttouch a\nb: c\n\ttouch b\nc: d\n\ttouch c\nd: b\n\ttouch d\n.PHONY: all\n";
  refused({ Flowfile: flowfile }, ["build"], ["b", "c", "d"], [["b", "c"], ["c", "d"], ["d", "b"]]);
});

test("RELIABILITY 13: a cycle through a multi-output rule (gen.h gen.c are one task): the whole path", () => {
  // app needs gen.c; gen.h and gen.c come from one run that needs tool, which needs gen.h.
  const flowfile = "app: gen.c\n\tcp gen.c app\ngen.h gen.c: schema tool\n\ttouch gen.h gen.c\ntool: gen.h\n\ttouch tool\n";
  refused({ Flowfile: flowfile, schema: "s\n" }, ["build", "app"], ["gen.h", "tool"], [["gen.h", "tool"], ["tool", "gen.h"]]);
});
