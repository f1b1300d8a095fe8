// What a build shows of what its tasks printed (docs/output-logs.md):
// `--output-logs full|new|errors|none`, default `new`.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { cleanup, flow, writeProject } from "./support.js";

/** A task that succeeds with a warning on stderr, one that prints nothing, one that fails. */
const WARNS = [
  "all: a.o quiet.o",
  "a.o: a.c",
  "\techo 'a.c:1:5: warning: unused variable x' >&2",
  "\tcp a.c a.o",
  "quiet.o:",
  "\ttouch quiet.o",
  "bad:",
  "\techo 'bad.c:2:1: error: expected ;'",
  "\texit 1",
  "",
].join("\n");

test("a warning from a task that succeeds is shown by default, under its task's line; errors and none hide it", () => {
  const dir = writeProject({ Flowfile: WARNS, "a.c": "int x;\n" });
  try {
    const r = flow(["build", "a.o", "quiet.o"], { cwd: dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^ {2}ran {7}a\.o \([0-9.]+s\)\n {2}\| a\.c:1:5: warning: unused variable x\n/m, r.stdout);
    // A task that printed nothing adds nothing.
    assert.match(r.stdout, /^ {2}ran {7}quiet\.o \([0-9.]+s\)\n(?! {2}\|)/m, r.stdout);

    for (const mode of ["errors", "none"]) {
      const again = flow(["build", "-B", "--output-logs", mode, "a.o"], { cwd: dir });
      assert.equal(again.code, 0, again.stdout + again.stderr);
      assert.match(again.stdout, /ran {7}a\.o/);
      assert.doesNotMatch(again.stdout, /warning: unused/, `--output-logs ${mode}`);
    }
    // FLOW_OUTPUT_LOGS says the same as the flag; the flag wins.
    const env = flow(["build", "-B", "a.o"], { cwd: dir, env: { FLOW_OUTPUT_LOGS: "errors" } });
    assert.doesNotMatch(env.stdout, /warning: unused/);
    const flagWins = flow(["build", "-B", "--output-logs", "new", "a.o"], { cwd: dir, env: { FLOW_OUTPUT_LOGS: "errors" } });
    assert.match(flagWins.stdout, /warning: unused/);
  } finally {
    cleanup(dir);
  }
});

test("a C compiler's warning from a task that succeeds is shown by default", (t) => {
  if (spawnSync("cc", ["--version"]).status !== 0) {
    t.skip("no C compiler (cc) on PATH");
    return;
  }
  const dir = writeProject({
    Flowfile: ["main.o: main.c", "\tcc -Wall -c main.c -o main.o", ""].join("\n"),
    "main.c": "int main(void) {\n  int unused;\n  return 0;\n}\n",
  });
  try {
    const r = flow(["build"], { cwd: dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^ {2}\| main\.c:2:7: warning: unused variable .unused./m, r.stdout);
  } finally {
    cleanup(dir);
  }
});

test("--output-logs errors and none: a failure's log shown, or only its line", () => {
  const dir = writeProject({ Flowfile: WARNS, "a.c": "int x;\n" });
  try {
    const errors = flow(["build", "--output-logs", "errors", "bad"], { cwd: dir });
    assert.equal(errors.code, 1);
    assert.match(errors.stdout, /--- log of bad .*\n {2}\| bad\.c:2:1: error: expected ;\n/);
    const none = flow(["build", "--output-logs", "none", "bad"], { cwd: dir });
    assert.equal(none.code, 1);
    assert.match(none.stdout, /FAILED {4}bad: recipe exited with code 1/);
    assert.doesNotMatch(none.stdout, /expected ;/);
    const wrong = flow(["build", "--output-logs", "some"], { cwd: dir });
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /--output-logs takes one of full, new, errors, none \(default new\), got 'some'/);
  } finally {
    cleanup(dir);
  }
});

test("--output-logs full: a restored task replays its stored log; by default it does not", () => {
  const dir = writeProject({ Flowfile: WARNS, "a.c": "int x;\n" });
  try {
    assert.equal(flow(["build", "a.o"], { cwd: dir }).code, 0);
    rmSync(join(dir, "a.o"));
    const quiet = flow(["build", "a.o"], { cwd: dir });
    assert.match(quiet.stdout, /^ {2}restored {2}a\.o\n/m, quiet.stdout);
    assert.doesNotMatch(quiet.stdout, /warning/, "a hit's log is not replayed by default");
    rmSync(join(dir, "a.o"));
    const full = flow(["build", "--output-logs", "full", "a.o"], { cwd: dir });
    assert.equal(full.code, 0, full.stdout + full.stderr);
    assert.match(full.stdout, /^ {2}restored {2}a\.o\n {2}\| a\.c:1:5: warning: unused variable x\n/m, full.stdout);
    // An up-to-date task's log comes back too when its record is read (no build state to vouch for it).
    const fresh = flow(["build", "--output-logs", "full", "a.o"], { cwd: dir, env: { FLOW_STATE: "off" } });
    assert.match(fresh.stdout, /^ {2}output of a\.o \(up to date, from the cache\):\n {2}\| a\.c:1:5: warning: unused variable x\n/m, fresh.stdout);
  } finally {
    cleanup(dir);
  }
});

test("two tasks printing at once at -j2: each task's output comes out whole, its lines unbroken", () => {
  // Each recipe prints half a line, waits until the other has printed its half, then ends the
  // line: on a shared terminal the halves would mix ("A-start B-start A-end").
  const half = (me: string, other: string) => [`\tprintf '${me}-start '; touch ${me}.half`, `\twhile [ ! -f ${other}.half ]; do sleep 0.05; done`, `\techo '${me}-end'`, `\techo '${me}-second line'`, `\ttouch $@`];
  const dir = writeProject({ Flowfile: ["all: a b", "a:", ...half("A", "B"), "b:", ...half("B", "A"), ""].join("\n") });
  try {
    const r = flow(["build", "-j", "2", "a", "b"], { cwd: dir, timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const [name, me] of [["a", "A"], ["b", "B"]]) {
      assert.match(r.stdout, new RegExp(`^ {2}ran {7}${name} \\([0-9.]+s\\)\\n {2}\\| ${me}-start ${me}-end\\n {2}\\| ${me}-second line\\n`, "m"), r.stdout);
    }
  } finally {
    cleanup(dir);
  }
});

test("a task that prints many lines shows its last ones, how many were left out and where the whole log is", () => {
  const dir = writeProject({ Flowfile: ["many:", "\tfor i in $$(seq 1 100); do echo line $$i; done; touch $@", ""].join("\n") });
  try {
    const r = flow(["build"], { cwd: dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const m = /^ {2}\.\.\. 70 earlier lines left out \(the whole log: (\.flow\/logs\/[^)]+)\)\n/m.exec(r.stdout);
    assert.ok(m, r.stdout);
    assert.equal(readFileSync(join(dir, m[1] as string), "utf8").split("\n").length, 101, "the whole log is there");
    assert.doesNotMatch(r.stdout, /\| line 70\n/);
    assert.match(r.stdout, /\| line 71\n(.*\n){29}flow: done/);
  } finally {
    cleanup(dir);
  }
});

test("a failed task that printed nothing says so, rather than showing an empty log", () => {
  const dir = writeProject({ Flowfile: "out.txt:\n\texit 3\n" });
  try {
    const r = flow(["build"], { cwd: dir });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /FAILED {4}out\.txt: recipe exited with code 3/);
    assert.match(r.stdout, /^ {2}\(out\.txt printed nothing before it failed\)$/m, r.stdout);
    assert.doesNotMatch(r.stdout, /--- log of out\.txt/);
  } finally {
    cleanup(dir);
  }
});
