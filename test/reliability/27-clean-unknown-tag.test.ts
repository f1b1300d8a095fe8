// RELIABILITY 27: `flow clean --tag T` with a tag no task carries, or an
// empty tag, removes nothing at all (even beside a valid tag: a typo must not
// turn into a partial clean) and says so, exit 2, naming the tags there are.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { buildJson, cleanup, flow, writeProject } from "../e2e/support.js";

const FLOWFILE = [
  ".PHONY: all",
  "all: a.txt b.txt",
  "a.txt:",
  "\techo a > $@",
  "a.txt: .TAGS := gen",
  "b.txt:",
  "\techo b > $@",
  "b.txt: .TAGS := docs",
  "",
].join("\n");

test("RELIABILITY 27: an unknown or empty tag removes nothing and says so", () => {
  const dir = writeProject({ Flowfile: FLOWFILE });
  try {
    const b = buildJson([], { cwd: dir });
    assert.equal(b.code, 0, b.stderr);
    const before = readdirSync(dir).sort();
    const cases: [string[], string][] = [
      [["--tag", "nope"], "nope"],
      [["--tag", ""], ""],
      [["--tag", "gen", "--tag", "nope"], "nope"], // beside a valid tag: still nothing
      [["--tag", "gen", "--tag", "", "--dry-run"], ""],
    ];
    for (const [args, bad] of cases) {
      const r = flow(["clean", ...args], { cwd: dir });
      const what = `clean ${JSON.stringify(args)}`;
      assert.equal(r.code, 2, `${what}: ${r.stdout}${r.stderr}`);
      assert.equal(r.stdout, "", `${what}: nothing listed as removed`);
      assert.equal(r.stderr, `flow: no task has the tag '${bad}' (tags in this Flowfile: docs, gen); nothing removed\n`, what);
      assert.deepEqual(readdirSync(dir).sort(), before, what);
      assert.equal(readFileSync(join(dir, "a.txt"), "utf8"), "a\n", what);
    }
    // The valid tag alone does clean: the refusals above were about the unknown tag.
    const ok = flow(["clean", "--tag", "gen"], { cwd: dir });
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(readdirSync(dir).sort(), before.filter((f) => f !== "a.txt"));
  } finally {
    cleanup(dir);
  }
});
