// RELIABILITY 06: a task fails after writing half its outputs (one file
// whole, one half, an output directory half filled). Everything it left of
// its declared outputs is removed (GNU Make's .DELETE_ON_ERROR, always on),
// nothing of it is cached, what needs it is `cannot-run`, and under
// --keep-going the tasks that do not need it still finish.
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { buildJson, cleanup, withStatus, writeProject } from "../e2e/support.js";

// The generator (the task gen.h, which also declares gen.c and the directory
// parts/) fails half way while the file `ok` holds anything but 1. `ok` is
// deliberately no input: the fixed build has the failing builds' key, so it
// shows that no record of theirs was kept. `user.txt` needs the generator;
// `side.txt` does not.
const FLOWFILE = [
  ".PHONY: all",
  "all: user.txt side.txt",
  "gen.h gen.c &: schema.txt",
  "\tcat schema.txt > gen.h",
  "\tmkdir -p parts && echo one > parts/one && printf half > parts/two",
  "\tprintf 'int half' > gen.c",
  "\t[ \"$$(cat ok)\" = 1 ] || { echo 'generator crashed' >&2; exit 7; }",
  "\techo '= 1;' >> gen.c",
  "gen.h: .OUTPUTS := parts/",
  "user.txt: gen.c",
  "\tcat gen.c > $@",
  "side.txt: schema.txt",
  "\tsleep 0.2; cat schema.txt > $@",
  "",
].join("\n");

test("RELIABILITY 06: a task that fails half way leaves no output and no cache entry; its dependents cannot run; -k finishes the rest", () => {
  const dir = writeProject({ Flowfile: FLOWFILE, "schema.txt": "schema\n", ok: "0" });
  try {
    for (const round of ["first build", "second build (nothing was cached)"]) {
      const r = buildJson(["-k"], { cwd: dir });
      assert.equal(r.code, 1, `${round}: ${r.stderr}`);
      const gen = r.summary.tasks.find((t) => t.name === "gen.h");
      assert.equal(gen?.status, "failed", `${round}: the generator ran and failed again, it was not restored or up to date`);
      assert.equal(gen?.reason, "exit-code");
      assert.match(gen?.message ?? "", /exited with code 7/);
      assert.deepEqual(withStatus(r.summary, "cannot-run"), ["all", "user.txt"], round);
      assert.deepEqual(
        r.summary.tasks.filter((t) => t.name === "side.txt").map((t) => t.status),
        [round === "first build" ? "ran" : "up-to-date"],
        `${round}: the independent task finished under -k`,
      );
      for (const p of ["gen.h", "gen.c", "parts", "user.txt"]) assert.equal(existsSync(join(dir, p)), false, `${round}: ${p} was removed (or never made)`);
      assert.equal(readFileSync(join(dir, "side.txt"), "utf8"), "schema\n");
    }

    // Fixed: the generator runs whole, and its outputs are complete.
    writeFileSync(join(dir, "ok"), "1");
    const fixed = buildJson([], { cwd: dir });
    assert.equal(fixed.code, 0, fixed.stderr);
    assert.deepEqual(withStatus(fixed.summary, "ran"), ["gen.h", "user.txt"]);
    assert.equal(readFileSync(join(dir, "user.txt"), "utf8"), "int half= 1;\n");
    assert.equal(readFileSync(join(dir, "parts/two"), "utf8"), "half");
  } finally {
    cleanup(dir);
  }
});
