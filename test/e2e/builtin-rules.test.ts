import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { buildJson, cleanup, flow, writeProject } from "./support.js";

const PROJECT = {
  Makefile: "CFLAGS = -O2\nprog: prog.o util.o\n",
  "prog.c": "int util(void);\nint main(void) { return util(); }\n",
  "util.c": "int util(void) { return 0; }\n",
};

describe("make's built-in rules from the command line", () => {
  test("a Makefile without recipes builds; -r and -R on build and status turn the rules off", () => {
    const dir = writeProject(PROJECT);
    try {
      for (const args of [["build", "-r"], ["build", "--no-builtin-variables"], ["status", "-r"], ["status", "-R"]]) {
        const r = flow(args, { cwd: dir });
        assert.notEqual(r.code, 0, `${args.join(" ")}: ${r.stdout}`);
        assert.match(r.stderr, /FLOW004: no rule to make 'prog.o', needed by 'prog'/, args.join(" "));
      }
      const built = buildJson([], { cwd: dir });
      assert.equal(built.code, 0, built.stderr);
      assert.deepEqual(built.summary.tasks.map((t) => t.name).sort(), ["prog", "prog.o", "util.o"]);
      assert.deepEqual(buildJson([], { cwd: dir }).summary.tasks.filter((t) => t.status === "ran"), []);
    } finally {
      cleanup(dir);
    }
  });
});
