// RELIABILITY 14: an input that is not on disk and that no rule makes exits 2
// before anything runs (not even the tasks that could), naming the file, the
// task that needs it and where. Nothing in the project is touched.
import assert from "node:assert/strict";
import { test } from "node:test";
import { cleanup, flow, writeProject } from "../e2e/support.js";
import { treeSnapshot } from "./tree-snapshot.js";

const cases: { name: string; files: Record<string, string>; args: string[]; at?: string; code?: string; line?: string; expect?: RegExp }[] = [
  {
    name: "a plain prerequisite",
    files: { Flowfile: "app: main.o util.o\n\tcat $^ > $@\nmain.o: main.c\n\tcp $< $@\nutil.o: util.c\n\tcp $< $@\n", "main.c": "m\n" },
    args: ["build"],
    expect: /^Flowfile:5:9: error FLOW004: no rule to make 'util\.c', needed by 'util\.o'\n {2}5 \| util\.o: util\.c\n {4}\| {9}\^\nhint: create 'util\.c', or add a rule whose target is 'util\.c'/m,
  },
  {
    name: "a source a pattern rule would need (so no rule makes the object)",
    files: { Flowfile: "app: main.o util.o\n\tcat $^ > $@\n%.o: %.c\n\tcp $< $@\n", "main.c": "m\n" },
    args: ["build"],
    expect: /^Flowfile:1:\d+: error FLOW004: no rule to make 'util\.o', needed by 'app'/m,
  },
  {
    name: "a missing input of a task the goal does not need (the whole Flowfile is checked)",
    files: { Flowfile: "ok:\n\ttouch ok\nreport: data/missing.csv\n\tcp $< $@\n", "data/other.csv": "x\n" },
    args: ["build", "ok"],
    expect: /^Flowfile:3:9: error FLOW004: no rule to make 'data\/missing\.csv', needed by 'report'/m,
  },
];

for (const c of cases) {
  test(`RELIABILITY 14: ${c.name}: exit 2, FLOW004 naming it, nothing run`, () => {
    const dir = writeProject(c.files);
    try {
      const before = treeSnapshot(dir);
      const r = flow(c.args, { cwd: dir });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, c.expect as RegExp);
      assert.deepEqual(treeSnapshot(dir), before, "nothing may be run or written");
    } finally {
      cleanup(dir);
    }
  });
}
