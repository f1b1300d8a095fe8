// The Flowfile language end to end: .TIMEOUT, environment variables,
// command-line values, generated includes, and what the CLI prints for
// warnings and $(info).
import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { buildJson, cleanup, didWork, flow, read, writeProject } from "./support.js";

test(".TIMEOUT kills a recipe still running after that many seconds; the task fails and leaves no output", () => {
  const dir = writeProject({
    Flowfile: "slow.txt:\n\techo partial > $@\n\tsleep 30\n\techo done >> $@\nslow.txt: .TIMEOUT := 1\n",
  });
  try {
    const t0 = Date.now();
    const r = buildJson([], { cwd: dir });
    assert.equal(r.code, 1, r.stderr);
    assert.ok(Date.now() - t0 < 20_000, "the build did not wait for the sleep");
    const task = r.summary.tasks.find((t) => t.name === "slow.txt");
    assert.equal(task?.status, "failed");
    assert.equal(task?.reason, "timeout");
    assert.match(task?.message ?? "", /killed after its \.TIMEOUT of 1s/);
    assert.equal(existsSync(join(dir, "slow.txt")), false, "a timed-out task's output is removed");
  } finally {
    cleanup(dir);
  }
});

test("environment variables are readable as variables; the Flowfile's own assignments win", () => {
  const dir = writeProject({ Flowfile: "WHO ?= nobody\nLEVEL = 1\nout.txt:\n\techo $(WHO) $(LEVEL) $(origin WHO) > $@\n" });
  try {
    const r = flow(["build"], { cwd: dir, env: { WHO: "env-user", LEVEL: "9" } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(read(dir, "out.txt"), "env-user 1 environment\n");
    // The value is part of the recipe text, hence of the key: another value reruns the task.
    const again = buildJson([], { cwd: dir, env: { WHO: "someone-else" } });
    assert.deepEqual(didWork(again.summary), ["out.txt"]);
    assert.equal(read(dir, "out.txt"), "someone-else 1 environment\n");
  } finally {
    cleanup(dir);
  }
});

test("a command-line value beats the Flowfile's, unless the assignment says override", () => {
  const dir = writeProject({ Flowfile: "MODE = debug\noverride KEEP = file\nout.txt:\n\techo $(MODE) $(KEEP) > $@\n" });
  try {
    const r = flow(["build", "MODE=release", "KEEP=cli"], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(read(dir, "out.txt"), "release file\n");
  } finally {
    cleanup(dir);
  }
});

const GENERATED = {
  Flowfile: [
    "all:",
    "include parts.mk",
    "all: $(PARTS)",
    "\tcat $(PARTS) > all.txt",
    "parts.mk: list.txt",
    "\tfor p in $$(cat $<); do echo \"PARTS += part-$$p.txt\"; printf 'part-%s.txt:\\n\\techo %s > $$@\\n' $$p $$p; done > $@",
    ".PHONY: all",
    // A phony task runs every build unless cached; this one's result is all.txt, kept by its key.
    ".CACHED: all",
    "",
  ].join("\n"),
  "list.txt": "a\nb\n",
};

test("generated includes: the included file is built first, the Flowfile read again, and a second build does no work", () => {
  const dir = writeProject(GENERATED);
  try {
    const first = buildJson([], { cwd: dir });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /made parts\.mk; reading the Flowfile again/);
    assert.deepEqual(didWork(first.summary), ["all", "part-a.txt", "part-b.txt"]);
    assert.equal(read(dir, "all.txt"), "a\nb\n");
    const second = buildJson([], { cwd: dir });
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(didWork(second.summary), []);
    assert.doesNotMatch(second.stderr, /reading the Flowfile again/);
    // A new entry: the fragment is made again, and only the new part and the aggregate run.
    writeFileSync(join(dir, "list.txt"), "a\nb\nc\n");
    const third = buildJson([], { cwd: dir });
    assert.equal(third.code, 0, third.stderr);
    assert.deepEqual(didWork(third.summary), ["all", "part-c.txt"]);
    assert.equal(read(dir, "all.txt"), "a\nb\nc\n");
  } finally {
    cleanup(dir);
  }
});

test("generated includes: a rule that fails to make the included file fails the build (exit 1) before reading on", () => {
  const dir = writeProject({ Flowfile: "all:\ninclude gen.mk\ngen.mk:\n\techo broken; exit 3\n" });
  try {
    const r = flow(["build"], { cwd: dir });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /FAILED {4}gen\.mk: recipe exited with code 3/);
    assert.match(r.stdout, /could not make the included file gen\.mk/);
  } finally {
    cleanup(dir);
  }
});

test("a missing -include that no rule makes is skipped; a missing include is FLOW016", () => {
  const opt = writeProject({ Flowfile: "-include local.mk\nout.txt:\n\techo $(or $(LOCAL),none) > $@\n" });
  const req = writeProject({ Flowfile: "include local.mk\nout.txt:\n\techo hi > $@\n" });
  try {
    const a = flow(["build"], { cwd: opt });
    assert.equal(a.code, 0, a.stderr);
    assert.equal(read(opt, "out.txt"), "none\n");
    const b = flow(["build"], { cwd: req });
    assert.equal(b.code, 2);
    assert.match(b.stderr, /^Flowfile:1:1: error FLOW016: cannot read 'local\.mk': no such file/m);
  } finally {
    cleanup(opt);
    cleanup(req);
  }
});

test("flow status on a generated include that does not exist yet shows the build making it first (exit 1, the rest unknown)", () => {
  const dir = writeProject(GENERATED);
  try {
    const r = flow(["status"], { cwd: dir });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /^flow status: generated include parts\.mk first: 1 task: 1 stale/);
    assert.match(r.stdout, /^ {2}stale +parts\.mk +new task/m);
    assert.match(r.stdout, /^ {2}unknown +the rest: known once parts\.mk is made/m);
  } finally {
    cleanup(dir);
  }
});

test("warnings are printed with their code, once per name; $(info) prints its text", () => {
  const dir = writeProject({
    Flowfile: "$(info reading the Flowfile)\nout.txt: data/*.csv\n\techo $(NAME) $(NAME) $(OPTIONAL) > $@\nifdef OPTIONAL\nendif\n",
  });
  try {
    const r = flow(["build"], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Flowfile:1: reading the Flowfile$/m);
    assert.match(r.stdout, /^Flowfile:2:10: warning FLOW017: 'data\/\*\.csv' matches no file$/m);
    assert.equal(r.stdout.match(/warning FLOW018: variable 'NAME' is used but never set/g)?.length, 1);
    assert.doesNotMatch(r.stdout, /'OPTIONAL'/, "a variable tested with ifdef is optional");
  } finally {
    cleanup(dir);
  }
});
