// A 10,000-task pipeline's `--plan ascii` fits a screen: at most 60 lines of
// at most 120 columns, whether the tasks come from pattern rules (grouped per
// pattern), from 10,000 explicit rules (grouped by name), or form a chain
// deeper than the screen is high (middle layers folded).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { cleanup, flow, writeProject } from "./support.js";

const N = 10_000;

function assertFits(stdout: string, what: string): string[] {
  const lines = stdout.trimEnd().split("\n");
  assert.ok(lines.length <= 60, `${what}: ${lines.length} lines:\n${stdout}`);
  for (const l of lines) assert.ok([...l].length <= 120, `${what}: a line of ${[...l].length} columns: ${l}`);
  return lines;
}

const dirs: string[] = [];
after(() => dirs.forEach(cleanup));

let pipeline: string;
before(() => {
  // 4,999 sources -> gen/%.a -> obj/%.b -> out/index -> all: 10,000 tasks.
  const files: Record<string, string> = {};
  for (let i = 0; i < N / 2 - 1; i++) files[`src/s${String(i).padStart(5, "0")}.txt`] = `source ${i}\n`;
  files["Flowfile"] = [
    "SRCS := $(wildcard src/*.txt)",
    "OBJS := $(patsubst src/%.txt,obj/%.b,$(SRCS))",
    ".PHONY: all",
    "all: out/index",
    "out/index: $(OBJS)",
    "\t@mkdir -p out",
    "\tcat $^ > $@",
    "gen/%.a: src/%.txt",
    "\t@mkdir -p gen",
    "\tcp $< $@",
    "obj/%.b: gen/%.a",
    "\t@mkdir -p obj",
    "\tcp $< $@",
    "",
  ].join("\n");
  pipeline = writeProject(files);
  dirs.push(pipeline);
});

test("a 10,000-task pattern pipeline: one node per pattern, within 60 x 120", () => {
  for (const charset of ["ascii", "unicode"]) {
    const r = flow(["status", "--plan", charset, "--width", "120"], { cwd: pipeline });
    assert.equal(r.code, 1, r.stderr);
    const lines = assertFits(r.stdout, charset);
    assert.match(lines[0] as string, /10000 tasks: 4999 stale, 5001 waiting, 0 cached, 0 fresh/);
    if (charset === "ascii") {
      assert.ok(lines.includes("0 | gen/%.a x4999 (4999 stale) [S]"), r.stdout);
      assert.ok(lines.includes("1 | obj/%.b x4999 (4999 waiting) [W] <- gen/%.a"), r.stdout);
      assert.ok(r.stdout.split("\n").every((l) => /^[\x20-\x7e]*$/.test(l)), "--plan ascii is ASCII only");
    }
  }
});

test("--expand draws every task (and so does not fit)", () => {
  const r = flow(["status", "--plan", "ascii", "--expand", "--width", "120"], { cwd: pipeline });
  assert.ok(r.stdout.includes("gen/s04998.a [S]"));
  assert.ok(r.stdout.split("\n").length > 60);
});

test("10,000 explicit rules in 100 directories: grouped by name, within 60 x 120", () => {
  const lines = [".PHONY: all", `all: ${Array.from({ length: N }, (_, i) => `out/d${Math.floor(i / 100)}/f${i}.txt`).join(" ")}`];
  for (let i = 0; i < N; i++) lines.push(`out/d${Math.floor(i / 100)}/f${i}.txt:`, "\t@mkdir -p $(@D)", "\ttouch $@");
  const dir = writeProject({ Flowfile: `${lines.join("\n")}\n` });
  dirs.push(dir);
  const r = flow(["status", "--plan", "ascii", "--width", "120"], { cwd: dir });
  assert.equal(r.code, 1, r.stderr);
  const drawn = assertFits(r.stdout, "explicit rules");
  assert.ok(drawn.includes("0 | out/d*/f*.txt x10000 (10000 stale) [S]"), r.stdout);
});

test("a chain deeper than a screen folds its middle layers", () => {
  const depth = 300;
  const lines: string[] = [];
  for (let i = depth - 1; i > 0; i--) lines.push(`t${i}: t${i - 1}`, "\ttouch $@");
  lines.push("t0:", "\ttouch $@");
  const dir = writeProject({ Flowfile: `${lines.join("\n")}\n` });
  dirs.push(dir);
  const r = flow(["status", "--plan", "ascii", "--width", "120"], { cwd: dir });
  const drawn = assertFits(r.stdout, "chain");
  assert.ok(drawn.includes(" .. | layers 20-280: 261 tasks (261 waiting) [W] <- t19"), r.stdout);
  assert.ok(drawn.includes("281 | t281 [W] <- layers 20-280"), r.stdout);
  assert.ok(drawn.includes("299 | t299 [W] <- t298"), r.stdout);
});
