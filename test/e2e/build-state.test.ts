// The persistent build state (packages/cli/src/run/build-state.ts): a build
// whose last state still holds reads no Flowfile and vouches for the tasks
// none of whose paths changed. Each thing that shapes the graph must send
// the next build back to the Flowfile, and each thing a task reads or writes
// must make it decide that task in full: here each is changed and the next
// build must do what a build without any state does (FLOW_STATE=off).
import assert from "node:assert/strict";
import { appendFileSync, existsSync, lstatSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { PIPELINE, RACY } from "./pipeline-fixture.js";
import { buildJson, cleanup, didWork, flow, flowAsync, read, writeProject, type JsonSummary } from "./support.js";

interface StateReport {
  held: boolean;
  server?: string;
  why?: string;
  vouched?: number;
  statted?: number;
}

function stateOf(s: JsonSummary): StateReport {
  const st = (s as unknown as { state?: StateReport }).state;
  assert.ok(st, "flow build --json reports what became of the state");
  return st;
}

/** Each test runs twice: stat'ing every path, and asking a watching server what changed (then only those are stat'ed). */
const MODES = [
  { name: "without the server", env: {} as NodeJS.ProcessEnv },
  { name: "with the server", env: { FLOW_SERVER: "1" } as NodeJS.ProcessEnv },
];

/** Stops the directory's server, if one was started, then removes the directory. */
function done(dir: string): void {
  flow(["server", "stop"], { cwd: dir });
  cleanup(dir);
}



// Each test has its own directory (and server): they run three at a time, since most of their
// time is the racy window's waits (2.1 s each) and child processes, not CPU.
for (const M of MODES) describe(M.name, { concurrency: 3 }, () => {
  test(`${M.name}: a no-op reads the state, not the Flowfile, and vouches for every task; status agrees`, async () => {
    const dir = writeProject(PIPELINE);
    try {
      const first = buildJson([], { cwd: dir, env: M.env });
      assert.equal(first.code, 0, first.stderr);
      assert.equal(stateOf(first.summary).held, false);
      // The second build reads the Flowfile again: the first created out/, which the built-in rules' listing of the root saw missing.
      buildJson([], { cwd: dir, env: M.env });
      await RACY();
      buildJson([], { cwd: dir, env: M.env });
      const noop = buildJson([], { cwd: dir, env: M.env });
      assert.equal(noop.code, 0, noop.stderr);
      const st = stateOf(noop.summary);
      assert.equal(st.held, true, st.why);
      assert.equal(st.vouched, 4, "out/a.up, out/b.up, out/all.txt and all are vouched for");
    if (M.env["FLOW_SERVER"] === "1") {
      // The build before settled as a no-op: the server answers this one by itself (server-noop.test.ts).
      assert.equal(st.statted, 0, "the server saw nothing change: nothing is stat'ed");
      assert.equal((st as { server?: string }).server, "noop");
      const full = buildJson([], { cwd: dir, env: { ...M.env, FLOW_SERVER_NOOP: "off" } });
      const fst = stateOf(full.summary);
      assert.equal(fst.held, true, fst.why);
      // (It checks in full the paths the state took within the racy window, which a no-op the server answers leaves as they were.)
      assert.equal(fst.server, "changes");
      assert.deepEqual(didWork(full.summary), []);
    } else assert.ok((st.statted ?? 0) >= 6, "every input and output is stat'ed");
      assert.deepEqual(didWork(noop.summary), []);
      const status = flow(["status"], { cwd: dir, env: M.env });
      assert.equal(status.code, 0, `status predicts the no-op:\n${status.stdout}${status.stderr}`);
    } finally {
      done(dir);
    }
  });

  test(`${M.name}: an edited input reruns its task and its dependents only, with the state still holding`, async () => {
    const dir = writeProject(PIPELINE);
    try {
      buildJson([], { cwd: dir, env: M.env });
      buildJson([], { cwd: dir, env: M.env });
      await RACY();
      buildJson([], { cwd: dir, env: M.env });
      appendFileSync(join(dir, "src/a.txt"), "more\n");
      const status = flow(["status"], { cwd: dir, env: M.env });
      assert.equal(status.code, 1, "status says something would run");
      const b = buildJson([], { cwd: dir, env: M.env });
      const st = stateOf(b.summary);
      assert.equal(st.held, true, st.why);
      assert.deepEqual(didWork(b.summary), ["out/a.up", "out/all.txt"]);
      assert.equal(read(dir, "out/all.txt"), "ALPHA\nMORE\nBETA\n");
    } finally {
      done(dir);
    }
  });

  test(`${M.name}: an input edited back to its old bytes is hashed again, and nothing reruns`, async () => {
    const dir = writeProject(PIPELINE);
    try {
      buildJson([], { cwd: dir, env: M.env });
      buildJson([], { cwd: dir, env: M.env });
      await RACY();
      buildJson([], { cwd: dir, env: M.env });
      writeFileSync(join(dir, "src/b.txt"), "beta\n");
      const b = buildJson([], { cwd: dir, env: M.env });
      assert.equal(stateOf(b.summary).held, true);
      assert.deepEqual(didWork(b.summary), [], "the same bytes: the key is the same");
    } finally {
      done(dir);
    }
  });

  test(`${M.name}: each thing that shapes the graph sends the next build to the Flowfile: Flowfile, include, new wildcard match, $(shell), environment, command line`, async () => {
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
      buildJson(["MSG=m"], { cwd: dir, env: { ...M.env, ...env } });
      await RACY();
      const b = buildJson(["MSG=m"], { cwd: dir, env: { ...M.env, ...env } });
      assert.equal(stateOf(b.summary).held, true, stateOf(b.summary).why);
      assert.deepEqual(didWork(b.summary), []);
    };
    const expectCold = (why: RegExp, content: string, opts: { words?: string[]; env?: NodeJS.ProcessEnv } = {}) => {
      const b = buildJson(opts.words ?? ["MSG=m"], { cwd: dir, env: { ...M.env, ...(opts.env ?? env) } });
      assert.equal(b.code, 0, b.stderr);
      const st = stateOf(b.summary);
      assert.equal(st.held, false);
      assert.match(st.why ?? "", why);
      assert.deepEqual(didWork(b.summary), ["out/all.txt"]);
      assert.equal(read(dir, "out/all.txt"), content);
    };
    try {
      buildJson(["MSG=m"], { cwd: dir, env: { ...M.env, ...env } });
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
      done(dir);
    }
  });

  test(`${M.name}: a .ENV value that changed reruns the task that reads it, though its paths did not change`, async () => {
    const dir = writeProject({
      Flowfile: `out.txt: .ENV := MODE
  out.txt: in.txt
  \techo "$$MODE" | cat - in.txt > $@
  `,
      "in.txt": "x\n",
    });
    try {
      buildJson([], { cwd: dir, env: { ...M.env, MODE: "fast" } });
      await RACY();
      const same = buildJson([], { cwd: dir, env: { ...M.env, MODE: "fast" } });
      assert.equal(stateOf(same.summary).held, true);
      assert.deepEqual(didWork(same.summary), []);
      const other = buildJson([], { cwd: dir, env: { ...M.env, MODE: "slow" } });
      assert.equal(stateOf(other.summary).held, true, "a .ENV value does not shape the graph");
      assert.deepEqual(didWork(other.summary), ["out.txt"]);
      assert.equal(read(dir, "out.txt"), "slow\nx\n");
    } finally {
      done(dir);
    }
  });

  test(`${M.name}: an output edited, deleted or replaced by a link is restored, as without a state`, async () => {
    const dir = writeProject(PIPELINE);
    try {
      buildJson([], { cwd: dir, env: M.env });
      buildJson([], { cwd: dir, env: M.env });
      await RACY();
      buildJson([], { cwd: dir, env: M.env });
      writeFileSync(join(dir, "out/a.up"), "tampered\n");
      rmSync(join(dir, "out/b.up"));
      const b = buildJson([], { cwd: dir, env: M.env });
      assert.equal(stateOf(b.summary).held, true);
      assert.deepEqual(b.summary.tasks.filter((t) => t.status === "restored").map((t) => t.name).sort(), ["out/a.up", "out/b.up"]);
      assert.equal(read(dir, "out/a.up"), "ALPHA\n");
      assert.equal(read(dir, "out/b.up"), "BETA\n");
      await RACY();
      buildJson([], { cwd: dir, env: M.env });
      rmSync(join(dir, "out/a.up"));
      symlinkSync("b.up", join(dir, "out/a.up"));
      const linked = buildJson([], { cwd: dir, env: M.env });
      assert.deepEqual(linked.summary.tasks.filter((t) => t.status === "restored").map((t) => t.name), ["out/a.up"]);
      assert.equal(lstatSync(join(dir, "out/a.up")).isSymbolicLink(), false);
    } finally {
      done(dir);
    }
  });

  test(`${M.name}: an output directory replaced by a link to a copy of itself is refused, as without a state (FLOW020)`, async () => {
    const dir = writeProject(PIPELINE);
    try {
      buildJson([], { cwd: dir, env: M.env });
      buildJson([], { cwd: dir, env: M.env });
      await RACY();
      buildJson([], { cwd: dir, env: M.env });
      renameSync(join(dir, "out"), join(dir, "real-out"));
      symlinkSync("real-out", join(dir, "out"));
      const b = flow(["build"], { cwd: dir, env: M.env });
      const cold = flow(["build"], { cwd: dir, env: { ...M.env, FLOW_STATE: "off" } });
      assert.equal(b.code, cold.code, `with the state:\n${b.stderr}\nwithout:\n${cold.stderr}`);
      assert.match(b.stderr, /FLOW020/);
    } finally {
      done(dir);
    }
  });

  // Nothing here depends on what the server says: once, without it.
  if (M.env["FLOW_SERVER"] !== "1") {
    test(`${M.name}: a damaged state file is no state: the build reads the Flowfile and writes a good one`, async () => {
      const dir = writeProject(PIPELINE);
      try {
        buildJson([], { cwd: dir, env: M.env });
        buildJson([], { cwd: dir, env: M.env });
        const stateDir = join(dir, ".flow", "state");
        const files = readdirSync(stateDir).filter((f) => f.endsWith(".state"));
        assert.equal(files.length, 1);
        const file = join(stateDir, files[0] as string);
        writeFileSync(file, read(stateDir, files[0] as string).slice(0, 100));
        const b = buildJson([], { cwd: dir, env: M.env });
        assert.equal(b.code, 0, b.stderr);
        assert.equal(stateOf(b.summary).held, false);
        assert.deepEqual(didWork(b.summary), []);
        const again = buildJson([], { cwd: dir, env: M.env });
        assert.equal(stateOf(again.summary).held, true, "the build after it has a good state again");
      } finally {
        done(dir);
      }
    });

  }
  // Nothing here depends on what the server says: once, without it.
  if (M.env["FLOW_SERVER"] !== "1") {
    test(`${M.name}: the cache's action records deleted (db/ alone): the state does not hold, and every task runs, as without a state`, () => {
      const dir = writeProject(PIPELINE);
      try {
        buildJson([], { cwd: dir, env: M.env });
        buildJson([], { cwd: dir, env: M.env });
        rmSync(join(dir, ".flow", "db"), { recursive: true, force: true });
        const b = buildJson([], { cwd: dir, env: M.env });
        assert.equal(b.code, 0, b.stderr);
        assert.equal(stateOf(b.summary).held, false);
        assert.match(stateOf(b.summary).why ?? "", /action records/);
        assert.deepEqual(didWork(b.summary), ["out/a.up", "out/all.txt", "out/b.up"]);
      } finally {
        done(dir);
      }
    });
  }
  if (M.env["FLOW_SERVER"] !== "1") {
    test(`${M.name}: flow cache gc drops the states: a state never vouches for results the cache may no longer hold`, () => {
      const dir = writeProject(PIPELINE);
      try {
        buildJson([], { cwd: dir, env: M.env });
        buildJson([], { cwd: dir, env: M.env });
        assert.ok(existsSync(join(dir, ".flow", "state")));
        const gc = flow(["cache", "gc"], { cwd: dir, env: M.env });
        assert.equal(gc.code, 0, gc.stderr);
        assert.equal(existsSync(join(dir, ".flow", "state")), false);
        const b = buildJson([], { cwd: dir, env: M.env });
        assert.equal(stateOf(b.summary).held, false);
      } finally {
        done(dir);
      }
    });

  }
  // Nothing here depends on what the server says: once, without it.
  if (M.env["FLOW_SERVER"] !== "1") {
    test(`${M.name}: -B reruns every task even where the state would vouch for it`, async () => {
      const dir = writeProject(PIPELINE);
      try {
        buildJson([], { cwd: dir, env: M.env });
        buildJson([], { cwd: dir, env: M.env });
        await RACY();
        buildJson([], { cwd: dir, env: M.env });
        const b = buildJson(["-B"], { cwd: dir, env: M.env });
        assert.deepEqual(didWork(b.summary), ["out/a.up", "out/all.txt", "out/b.up"]);
      } finally {
        done(dir);
      }
    });
  }
});

/** The pid of the directory's watching server. */
function serverPid(dir: string): number {
  const st = flow(["server", "status", "--json"], { cwd: dir });
  assert.equal(st.code, 0, `a server runs:\n${st.stdout}${st.stderr}`);
  return (JSON.parse(st.stdout) as { pid: number }).pid;
}

const SLOW = {
  Flowfile: `all: out/one.txt out/two.txt

out/one.txt: one.txt
\t@mkdir -p out
\tsleep 3; cat one.txt > $@

out/two.txt: two.txt
\t@mkdir -p out
\tcat two.txt > $@
`,
  "one.txt": "1\n",
  "two.txt": "2\n",
};

describe("the server stopped or killed", { concurrency: 2 }, () => {
test("the server killed during a build: the build finishes, and the next one, with a new server, sees what changed meanwhile", async () => {
  const dir = writeProject(SLOW);
  const env = { FLOW_SERVER: "1" };
  try {
    buildJson([], { cwd: dir, env });
    await RACY();
    assert.equal(stateOf(buildJson([], { cwd: dir, env }).summary).held, true);
    const pid = serverPid(dir);
    writeFileSync(join(dir, "one.txt"), "1 edited\n");
    const running = flowAsync(["build", "--json"], { cwd: dir, env });
    await sleep(1000); // one.txt's recipe is running (it sleeps 3 s)
    process.kill(pid, "SIGKILL");
    writeFileSync(join(dir, "two.txt"), "2 edited while no server watched\n");
    const first = await running.done;
    assert.equal(first.code, 0, first.stderr);
    const next = buildJson([], { cwd: dir, env });
    assert.equal(next.code, 0, next.stderr);
    assert.deepEqual(didWork(next.summary), ["out/two.txt"]);
    assert.equal(read(dir, "out/two.txt"), "2 edited while no server watched\n");
    assert.notEqual(serverPid(dir), pid, "a new server serves the root");
  } finally {
    done(dir);
  }
});

test("a stopped watcher (the server SIGSTOPped while files change, so its queue may overflow): the next build is still right", async () => {
  const dir = writeProject(SLOW);
  const env = { FLOW_SERVER: "1" };
  try {
    buildJson([], { cwd: dir, env });
    await RACY();
    assert.equal(stateOf(buildJson([], { cwd: dir, env }).summary).held, true);
    const pid = serverPid(dir);
    process.kill(pid, "SIGSTOP");
    try {
      writeFileSync(join(dir, "two.txt"), "2 edited while the server was stopped\n");
    } finally {
      process.kill(pid, "SIGCONT");
    }
    const next = buildJson([], { cwd: dir, env });
    assert.equal(next.code, 0, next.stderr);
    assert.deepEqual(didWork(next.summary), ["out/two.txt"]);
    assert.equal(read(dir, "out/two.txt"), "2 edited while the server was stopped\n");
  } finally {
    done(dir);
  }
});
});
