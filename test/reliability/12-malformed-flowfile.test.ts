// RELIABILITY 12: a malformed Flowfile exits 2 before anything runs, and says
// where: `FILE:LINE:COL`, the line itself, and a caret under the column.
// Nothing in the project is touched.
import assert from "node:assert/strict";
import { test } from "node:test";
import { cleanup, flow, writeProject } from "../e2e/support.js";
import { treeSnapshot } from "./tree-snapshot.js";

/** stderr starts with `at: error CODE`, then `  LINE | text`, then a caret under COL. */
function assertPointsAt(stderr: string, at: string, code: string, lineText: string): void {
  const [file, line, col] = at.split(":") as [string, string, string];
  const lines = stderr.split("\n");
  assert.ok(lines[0]?.startsWith(`${file}:${line}:${col}: error ${code}: `), stderr);
  assert.equal(lines[1], `  ${line} | ${lineText}`, stderr);
  assert.equal(lines[2], `  ${" ".repeat(line.length)} | ${" ".repeat(Number(col) - 1)}^`, stderr);
  assert.match(lines[3] ?? "", /^hint: \S/, `${stderr}\na hint says what to do`);
}

const cases: { name: string; files: Record<string, string>; args: string[]; at?: string; code?: string; line?: string; expect?: RegExp }[] = [
  {
    name: "an unterminated reference, mid-line",
    args: ["build"],
    files: { Flowfile: "NAME = world\nall: out\nout:\n\ttouch $@\nGREETING := hello $(NAME\n" },
    at: "Flowfile:5:19",
    code: "FLOW008",
    line: "GREETING := hello $(NAME",
  },
  {
    name: "a malformed conditional in an included file",
    args: ["status"],
    files: { Flowfile: "all: out\ninclude rules.mk\n", "rules.mk": "out:\n\ttouch $@\n\nifeq (a,b\nendif\n" },
    at: "rules.mk:4:1",
    code: "FLOW001",
    line: "ifeq (a,b",
  },
  {
    name: "a line that is neither rule nor assignment, after valid rules",
    args: ["build", "out"],
    files: { Flowfile: "out:\n\ttouch $@\n\nout2: out\n\tcp out $@\nthis is not make\n" },
    at: "Flowfile:6:1",
    code: "FLOW001",
    line: "this is not make",
  },
];

for (const c of cases) {
  test(`RELIABILITY 12: ${c.name}: ${c.at}, the line, a caret; exit 2, nothing touched`, () => {
    const dir = writeProject(c.files);
    try {
      const before = treeSnapshot(dir);
      const r = flow(c.args, { cwd: dir });
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, "");
      assertPointsAt(r.stderr, c.at as string, c.code as string, c.line as string);
      assert.deepEqual(treeSnapshot(dir), before, "nothing may be run or written");
    } finally {
      cleanup(dir);
    }
  });
}
