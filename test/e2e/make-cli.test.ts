// make's command line on flow: a bare `flow` builds, help and version
// words, the help text, -n, -q, -l, MAKEFLAGS, and a .CACHED phony task
// whose log is replayed on a hit.
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { buildJson, cleanup, didWork, flow, writeProject } from "./support.js";

/** clipanion colours its help; the tests read the words. */
const plain = (s: string) => s.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g"), "");

const SIMPLE = {
  Makefile: ["all: out.txt", "out.txt: in.txt", "\tcp in.txt $@", ".PHONY: hello", "hello:", "\techo hello from $@", ""].join("\n"),
  "in.txt": "one\n",
};

test("a bare `flow` builds the default goal, as make does; `flow TARGET` and `flow -kj2 TARGET` build that target", () => {
  const dir = writeProject(SIMPLE);
  try {
    const r = flow([], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(join(dir, "out.txt"), "utf8"), "one\n");
    const t = flow(["-kj2", "hello"], { cwd: dir });
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /^hello from hello$/m, "a phony task's output is shown");
  } finally {
    cleanup(dir);
  }
});

test("flow --help and flow help show help; flow version, --version and -V print the version", () => {
  const dir = writeProject(SIMPLE);
  try {
    for (const args of [["--help"], ["help"]]) {
      const r = flow(args, { cwd: dir });
      assert.equal(r.code, 0, r.stderr);
      assert.match(plain(r.stdout), /flow build /, args.join(" "));
      assert.equal(existsSync(join(dir, "out.txt")), false, `${args.join(" ")} built something`);
    }
    for (const args of [["version"], ["--version"], ["-V"]]) {
      const r = flow(args, { cwd: dir });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^[0-9]+\.[0-9]+\.[0-9]+\n$/, args.join(" "));
    }
  } finally {
    cleanup(dir);
  }
});

test("flow build --help names values DIR, FILE and N (not #0) and says the words are targets and VAR=value", () => {
  const dir = writeProject(SIMPLE);
  try {
    for (const args of [["build", "--help"], ["help", "build"]]) {
      const r = flow(args, { cwd: dir });
      assert.equal(r.code, 0, r.stderr);
      const text = plain(r.stdout);
      assert.doesNotMatch(text, /#0/);
      assert.match(text, /-C,--directory DIR /);
      assert.match(text, /-f,--file FILE /);
      assert.match(text, /-j,--jobs N /);
      assert.match(text, /-l,--load-average N /);
      assert.match(text, /\$ flow build \[TARGET\.\.\.\] \[VAR=value\.\.\.\]/);
      for (const flag of ["-n,--dry-run", "-B,--always-make", "-s,--silent", "-q,--question", "-i,--ignore-errors", "-e,--environment-overrides"]) assert.ok(text.includes(flag), flag);
    }
  } finally {
    cleanup(dir);
  }
});

test("-q runs and prints nothing: exit 1 while anything would run (a phony goal always would), 0 once up to date", () => {
  const dir = writeProject(SIMPLE);
  try {
    const before = flow(["-q"], { cwd: dir });
    assert.deepEqual([before.code, before.stdout, before.stderr], [1, "", ""]);
    assert.equal(existsSync(join(dir, "out.txt")), false, "-q built something");
    assert.equal(flow(["build"], { cwd: dir }).code, 0);
    const after = flow(["build", "-q"], { cwd: dir });
    assert.deepEqual([after.code, after.stdout, after.stderr], [0, "", ""]);
    assert.equal(flow(["-q", "hello"], { cwd: dir }).code, 1, "a phony task runs every time: there is always something to do");
    writeFileSync(join(dir, "in.txt"), "two\n");
    assert.equal(flow(["--question"], { cwd: dir }).code, 1);
    assert.equal(flow(["-q", "-f", "Missing"], { cwd: dir }).code, 2);
  } finally {
    cleanup(dir);
  }
});

test("-n prints the expanded recipes that would run, in build order, and runs nothing", () => {
  const dir = writeProject({
    Makefile: ["CP := cp", "all: b.txt", "a.txt: in.txt", "\t@$(CP) in.txt $@", "b.txt: a.txt", "\tcat a.txt a.txt > $@", ""].join("\n"),
    "in.txt": "x\n",
  });
  try {
    const r = flow(["-n"], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "cp in.txt a.txt\ncat a.txt a.txt > b.txt\n");
    assert.equal(existsSync(join(dir, "a.txt")), false);
    assert.equal(flow([], { cwd: dir }).code, 0);
    assert.equal(flow(["--dry-run"], { cwd: dir }).stdout, "", "nothing would run");
    assert.equal(flow(["-nB"], { cwd: dir }).stdout, "cp in.txt a.txt\ncat a.txt a.txt > b.txt\n", "-B: everything would");
  } finally {
    cleanup(dir);
  }
});

test("-l 0 starts no task while another runs (the load is never below 0); without it, -j 3 runs them at once", () => {
  // Each task notes whether another was running when it started; the first
  // build's tasks wait (bounded) for each other, which only works in parallel.
  const recipe = (n: string, wait: boolean) =>
    [
      `${n}.out:`,
      `\tmkdir -p run && touch run/${n} && ls run | wc -l | tr -d ' ' > ${n}.seen`,
      wait ? `\ti=0; while [ $$(ls run | wc -l) -lt 3 ] && [ $$i -lt 600 ]; do sleep 0.05; i=$$((i+1)); done` : "\tsleep 0.2",
      // A waiting task leaves its mark: one that removed it could leave a slower sibling waiting out its whole bound.
      wait ? `\techo ${n} > $@` : `\trm run/${n}; echo ${n} > $@`,
    ].join("\n");
  const files = (wait: boolean) => ({ Makefile: ["all: a.out b.out c.out", recipe("a", wait), recipe("b", wait), recipe("c", wait), ""].join("\n") });
  const parallel = writeProject(files(true));
  const gated = writeProject(files(false));
  try {
    const p = flow(["-j", "3"], { cwd: parallel });
    assert.equal(p.code, 0, p.stderr);
    assert.ok(["a", "b", "c"].some((n) => readFileSync(join(parallel, `${n}.seen`), "utf8") !== "1\n"), "without -l the tasks overlap");
    const g = flow(["-j3", "-l", "0"], { cwd: gated });
    assert.equal(g.code, 0, g.stderr);
    for (const n of ["a", "b", "c"]) assert.equal(readFileSync(join(gated, `${n}.seen`), "utf8"), "1\n", `${n} started while another task ran`);
  } finally {
    cleanup(parallel);
    cleanup(gated);
  }
});

test("MAKEFLAGS from an outer make carries -n and -k; the command line adds to it", () => {
  const dir = writeProject(SIMPLE);
  try {
    const r = flow([], { cwd: dir, env: { MAKEFLAGS: "n -j2 --no-print-directory" } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "cp in.txt out.txt\n");
    assert.equal(existsSync(join(dir, "out.txt")), false);
  } finally {
    cleanup(dir);
  }
});

test("a phony task runs on every build; listed in .CACHED it runs once, and a hit shows its stored output again", () => {
  const dir = writeProject({
    Makefile: [".PHONY: test deploy", ".CACHED: test", "all: test deploy", "test: in.txt", "\t@echo checking $$(cat in.txt)", "\techo $$$$ >> runs.log", "deploy:", "\techo deployed >> deploys.log", ""].join("\n"),
    "in.txt": "v1\n",
  });
  try {
    const first = buildJson([], { cwd: dir });
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(didWork(first.summary), ["deploy", "test"]);
    assert.match(first.stderr, /^checking v1$/m);
    const second = buildJson([], { cwd: dir });
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(didWork(second.summary), ["deploy"], "deploy runs every time; test is cached");
    assert.match(second.stderr, /^checking v1$/m, "the cached run's output is replayed");
    assert.equal(readFileSync(join(dir, "runs.log"), "utf8").split("\n").length - 1, 1);
    assert.equal(readFileSync(join(dir, "deploys.log"), "utf8"), "deployed\ndeployed\n");
    const tasks = second.summary.tasks as (typeof second.summary.tasks[number] & { phony?: boolean })[];
    assert.deepEqual(tasks.map((t) => [t.name, t.phony]).sort(), [["all", false], ["deploy", true], ["test", true]]);
    const status = flow(["status"], { cwd: dir });
    assert.equal(status.code, 1);
    assert.match(status.stdout, /stale +deploy +phony: runs every time/);
    assert.doesNotMatch(status.stdout, /\btest\b/);
  } finally {
    cleanup(dir);
  }
});
