// RELIABILITY 07: a recipe exits 0 but does not write one of its declared
// outputs. The task fails, naming the missing output; what it did write is
// removed; nothing is cached (the next build runs it again); what needs it
// cannot run.
import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { buildJson, cleanup, withStatus, writeProject } from "../e2e/support.js";

// `api.h api.c` is one task that writes api.h and forgets api.c; `docs` declares
// an output directory it never makes. Both exit 0.
const FLOWFILE = [
  ".PHONY: all docs",
  "all: app docs",
  "api.h api.c &: api.idl",
  "\tcat api.idl > api.h",
  "app: api.c",
  "\tcat api.c > $@",
  "docs: api.idl",
  "\techo 'nothing to document'",
  "docs: .OUTPUTS := html/",
  "",
].join("\n");

test("RELIABILITY 07: exit 0 without a declared output fails, removes the rest, caches nothing", () => {
  const dir = writeProject({ Flowfile: FLOWFILE, "api.idl": "interface A;\n" });
  try {
    for (const round of ["first build", "second build, with a stale api.c left on disk"]) {
      // A file already at the output's path does not count: outputs are removed before the recipe runs.
      if (round !== "first build") writeFileSync(join(dir, "api.c"), "stale\n");
      const r = buildJson(["-k"], { cwd: dir });
      assert.equal(r.code, 1, `${round}: ${r.stderr}`);
      const byName = new Map(r.summary.tasks.map((t) => [t.name, t]));
      assert.equal(byName.get("api.h")?.status, "failed", `${round}: not cached, so it runs and fails again`);
      assert.equal(byName.get("api.h")?.reason, "missing-output");
      assert.match(byName.get("api.h")?.message ?? "", /did not create its declared output 'api\.c'/);
      assert.equal(byName.get("docs")?.status, "failed", round);
      assert.match(byName.get("docs")?.message ?? "", /did not create its declared output 'html'/);
      assert.deepEqual(withStatus(r.summary, "cannot-run"), ["all", "app"], round);
      assert.equal(existsSync(join(dir, "api.h")), false, `${round}: the output it did write is removed with the failure`);
      assert.equal(existsSync(join(dir, "api.c")), false, round);
    }
    // Recipes that write what they declare: both run and succeed.
    writeFileSync(join(dir, "Flowfile"), FLOWFILE.replace("\tcat api.idl > api.h", "\tcat api.idl > api.h; cat api.idl > api.c").replace("'nothing to document'", "'documented' && mkdir html && touch html/index.html"));
    const fixed = buildJson([], { cwd: dir });
    assert.equal(fixed.code, 0, fixed.stderr);
    assert.deepEqual(withStatus(fixed.summary, "ran"), ["api.h", "app", "docs"]);
  } finally {
    cleanup(dir);
  }
});
