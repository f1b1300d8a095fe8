// The persistent build state (packages/cli/src/run/build-state.ts): a build
// whose last state still holds reads no Flowfile and vouches for the tasks
// none of whose paths changed. Each thing that shapes the graph must send
// the next build back to the Flowfile, and each thing a task reads or writes
// must make it decide that task in full: here each is changed and the next
// build must do what a build without any state does (FLOW_STATE=off).
import assert from "node:assert/strict";
import { appendFileSync, existsSync, lstatSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { buildJson, cleanup, didWork, flow, read, writeProject, type JsonSummary } from "./support.js";

interface StateReport {
  held: boolean;
  why?: string;
  vouched?: number;
  statted?: number;
}

function stateOf(s: JsonSummary): StateReport {
  const st = (s as unknown as { state?: StateReport }).state;
  assert.ok(st, "flow build --json reports what became of the state");
  return st;
}

/** Past the stat memo's racy window (2 s): a file hashed now is vouched for by its stat from then on. */
const RACY = () => sleep(2100);

const PIPELINE = {
  Flowfile: `SRC := $(wildcard src/*.txt)
OUT := $(patsubst src/%.txt,out/%.up,$(SRC))

all: out/all.txt

out/%.up: src/%.txt
\t@mkdir -p out
\ttr a-z A-Z < $< > $@

out/all.txt: $(OUT)
\tcat $^ > $@
`,
  "src/a.txt": "alpha\n",
  "src/b.txt": "beta\n",
};

test("a no-op reads the state, not the Flowfile, and vouches for every task; status agrees", async () => {
  const dir = writeProject(PIPELINE);
  try {
    const first = buildJson([], { cwd: dir });
    assert.equal(first.code, 0, first.stderr);
    assert.equal(stateOf(first.summary).held, false);
    // The second build reads the Flowfile again: the first created out/, which the built-in rules' listing of the root saw missing.
    buildJson([], { cwd: dir });
    await RACY();
    buildJson([], { cwd: dir });
    const noop = buildJson([], { cwd: dir });
    assert.equal(noop.code, 0, noop.stderr);
    const st = stateOf(noop.summary);
    assert.equal(st.held, true, st.why);
    assert.equal(st.vouched, 4, "out/a.up, out/b.up, out/all.txt and all are vouched for");
    assert.deepEqual(didWork(noop.summary), []);
    const status = flow(["status"], { cwd: dir });
    assert.equal(status.code, 0, `status predicts the no-op:\n${status.stdout}${status.stderr}`);
  } finally {
    cleanup(dir);
  }
});

test("an edited input reruns its task and its dependents only, with the state still holding", async () => {
  const dir = writeProject(PIPELINE);
  try {
    buildJson([], { cwd: dir });
    buildJson([], { cwd: dir });
    await RACY();
    buildJson([], { cwd: dir });
    appendFileSync(join(dir, "src/a.txt"), "more\n");
    const status = flow(["status"], { cwd: dir });
    assert.equal(status.code, 1, "status says something would run");
    const b = buildJson([], { cwd: dir });
    const st = stateOf(b.summary);
    assert.equal(st.held, true, st.why);
    assert.deepEqual(didWork(b.summary), ["out/a.up", "out/all.txt"]);
    assert.equal(read(dir, "out/all.txt"), "ALPHA\nMORE\nBETA\n");
  } finally {
    cleanup(dir);
  }
});

test("an input edited back to its old bytes is hashed again, and nothing reruns", async () => {
  const dir = writeProject(PIPELINE);
  try {
    buildJson([], { cwd: dir });
    buildJson([], { cwd: dir });
    await RACY();
    buildJson([], { cwd: dir });
    writeFileSync(join(dir, "src/b.txt"), "beta\n");
    const b = buildJson([], { cwd: dir });
    assert.equal(stateOf(b.summary).held, true);
    assert.deepEqual(didWork(b.summary), [], "the same bytes: the key is the same");
  } finally {
    cleanup(dir);
  }
});

test("each thing that shapes the graph sends the next build to the Flowfile: Flowfile, include, new wildcard match, $(shell), environment, command line", async () => {
  const dir = writeProject({
    Flowfile: `include rules.mk
VERSION := $(shell cat version.txt)
SRC := $(wildcard src/*.txt)

out/all.txt: $(SRC)
\t@mkdir -p out
\t(echo "$(VERSION) $(GREETING) $(MSG) $(SUFFIX)"; cat $^) > $@
`,
    "rules.mk": "SUFFIX := one\n",
    "version.txt": "v1\n",
    "src/a.txt": "a\n",
  });
  const env = { GREETING: "hello" };
  const settle = async () => {
    buildJson(["MSG=m"], { cwd: dir, env });
    await RACY();
    const b = buildJson(["MSG=m"], { cwd: dir, env });
    assert.equal(stateOf(b.summary).held, true, stateOf(b.summary).why);
    assert.deepEqual(didWork(b.summary), []);
  };
  const expectCold = (why: RegExp, content: string, opts: { words?: string[]; env?: NodeJS.ProcessEnv } = {}) => {
    const b = buildJson(opts.words ?? ["MSG=m"], { cwd: dir, env: opts.env ?? env });
    assert.equal(b.code, 0, b.stderr);
    const st = stateOf(b.summary);
    assert.equal(st.held, false);
    assert.match(st.why ?? "", why);
    assert.deepEqual(didWork(b.summary), ["out/all.txt"]);
    assert.equal(read(dir, "out/all.txt"), content);
  };
  try {
    buildJson(["MSG=m"], { cwd: dir, env });
    await settle();

    writeFileSync(join(dir, "Flowfile"), read(dir, "Flowfile").replace('echo "', 'echo "edited '));
    expectCold(/Flowfile changed/, "edited v1 hello m one\na\n");
    await settle();

    writeFileSync(join(dir, "rules.mk"), "SUFFIX := two\n");
    expectCold(/rules\.mk changed/, "edited v1 hello m two\na\n");
    await settle();

    writeFileSync(join(dir, "src/b.txt"), "b\n");
    expectCold(/src/, "edited v1 hello m two\na\nb\n");
    await settle();

    writeFileSync(join(dir, "version.txt"), "v2\n");
    expectCold(/shell cat version\.txt/, "edited v2 hello m two\na\nb\n");
    await settle();

    expectCold(/GREETING/, "edited v2 bonjour m two\na\nb\n", { env: { GREETING: "bonjour" } });
    // Another command line is another request, with its own state.
    expectCold(/no state yet/, "edited v2 hello other two\na\nb\n", { words: ["MSG=other"] });
  } finally {
    cleanup(dir);
  }
});

test("a .ENV value that changed reruns the task that reads it, though its paths did not change", async () => {
  const dir = writeProject({
    Flowfile: `out.txt: .ENV := MODE
out.txt: in.txt
\techo "$$MODE" | cat - in.txt > $@
`,
    "in.txt": "x\n",
  });
  try {
    buildJson([], { cwd: dir, env: { MODE: "fast" } });
    await RACY();
    const same = buildJson([], { cwd: dir, env: { MODE: "fast" } });
    assert.equal(stateOf(same.summary).held, true);
    assert.deepEqual(didWork(same.summary), []);
    const other = buildJson([], { cwd: dir, env: { MODE: "slow" } });
    assert.equal(stateOf(other.summary).held, true, "a .ENV value does not shape the graph");
    assert.deepEqual(didWork(other.summary), ["out.txt"]);
    assert.equal(read(dir, "out.txt"), "slow\nx\n");
  } finally {
    cleanup(dir);
  }
});

test("an output edited, deleted or replaced by a link is restored, as without a state", async () => {
  const dir = writeProject(PIPELINE);
  try {
    buildJson([], { cwd: dir });
    buildJson([], { cwd: dir });
    await RACY();
    buildJson([], { cwd: dir });
    writeFileSync(join(dir, "out/a.up"), "tampered\n");
    rmSync(join(dir, "out/b.up"));
    const b = buildJson([], { cwd: dir });
    assert.equal(stateOf(b.summary).held, true);
    assert.deepEqual(b.summary.tasks.filter((t) => t.status === "restored").map((t) => t.name).sort(), ["out/a.up", "out/b.up"]);
    assert.equal(read(dir, "out/a.up"), "ALPHA\n");
    assert.equal(read(dir, "out/b.up"), "BETA\n");
    await RACY();
    buildJson([], { cwd: dir });
    rmSync(join(dir, "out/a.up"));
    symlinkSync("b.up", join(dir, "out/a.up"));
    const linked = buildJson([], { cwd: dir });
    assert.deepEqual(linked.summary.tasks.filter((t) => t.status === "restored").map((t) => t.name), ["out/a.up"]);
    assert.equal(lstatSync(join(dir, "out/a.up")).isSymbolicLink(), false);
  } finally {
    cleanup(dir);
  }
});

test("an output directory replaced by a link to a copy of itself is refused, as without a state (FLOW020)", async () => {
  const dir = writeProject(PIPELINE);
  try {
    buildJson([], { cwd: dir });
    buildJson([], { cwd: dir });
    await RACY();
    buildJson([], { cwd: dir });
    renameSync(join(dir, "out"), join(dir, "real-out"));
    symlinkSync("real-out", join(dir, "out"));
    const b = flow(["build"], { cwd: dir });
    const cold = flow(["build"], { cwd: dir, env: { FLOW_STATE: "off" } });
    assert.equal(b.code, cold.code, `with the state:\n${b.stderr}\nwithout:\n${cold.stderr}`);
    assert.match(b.stderr, /FLOW020/);
  } finally {
    cleanup(dir);
  }
});

test("a damaged state file is no state: the build reads the Flowfile and writes a good one", async () => {
  const dir = writeProject(PIPELINE);
  try {
    buildJson([], { cwd: dir });
    buildJson([], { cwd: dir });
    const stateDir = join(dir, ".flow", "state");
    const files = readdirSync(stateDir).filter((f) => f.endsWith(".state"));
    assert.equal(files.length, 1);
    const file = join(stateDir, files[0] as string);
    writeFileSync(file, read(stateDir, files[0] as string).slice(0, 100));
    const b = buildJson([], { cwd: dir });
    assert.equal(b.code, 0, b.stderr);
    assert.equal(stateOf(b.summary).held, false);
    assert.deepEqual(didWork(b.summary), []);
    const again = buildJson([], { cwd: dir });
    assert.equal(stateOf(again.summary).held, true, "the build after it has a good state again");
  } finally {
    cleanup(dir);
  }
});

test("flow cache gc drops the states: a state never vouches for results the cache may no longer hold", () => {
  const dir = writeProject(PIPELINE);
  try {
    buildJson([], { cwd: dir });
    buildJson([], { cwd: dir });
    assert.ok(existsSync(join(dir, ".flow", "state")));
    const gc = flow(["cache", "gc"], { cwd: dir });
    assert.equal(gc.code, 0, gc.stderr);
    assert.equal(existsSync(join(dir, ".flow", "state")), false);
    const b = buildJson([], { cwd: dir });
    assert.equal(stateOf(b.summary).held, false);
  } finally {
    cleanup(dir);
  }
});

test("-B reruns every task even where the state would vouch for it", async () => {
  const dir = writeProject(PIPELINE);
  try {
    buildJson([], { cwd: dir });
    buildJson([], { cwd: dir });
    await RACY();
    buildJson([], { cwd: dir });
    const b = buildJson(["-B"], { cwd: dir });
    assert.deepEqual(didWork(b.summary), ["out/a.up", "out/all.txt", "out/b.up"]);
  } finally {
    cleanup(dir);
  }
});
