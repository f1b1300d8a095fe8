// GNU make's jobserver, served and joined by flow, and recursive $(MAKE)
// (docs/flowfile.md, "Recursive make and the jobserver").
//
// Concurrency is measured from intervals the jobs record themselves: each
// job takes a timestamp after it has started and another before it ends, so
// a measured interval lies inside the job's real lifetime and the overlap
// counted from them can only be smaller than the real one, never larger: a
// test that finds more than the limit found a real excess, whatever the
// machine's load. Nothing here times the build.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { closeSync, constants, existsSync, openSync, readFileSync, readSync, writeSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { buildJson, cleanup, flow, flowBin, writeProject } from "./support.js";

/** A job that records when it ran: `START END` in nanoseconds, appended to FILE. */
const JOB = (file: string) => `s=$$(date +%s%N); sleep 0.3; e=$$(date +%s%N); echo "$$s $$e" >> ${file}`;

/** The most intervals in FILE that overlap at one moment, and how many there are. */
function maxOverlap(file: string): { max: number; jobs: number } {
  const events: [bigint, number][] = [];
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line === "") continue;
    const [s, e] = line.split(" ").map((w) => BigInt(w)) as [bigint, bigint];
    events.push([s, 1], [e, -1]);
  }
  // Ends before starts at the same instant: touching intervals do not overlap.
  events.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
  let now = 0;
  let max = 0;
  for (const [, d] of events) {
    now += d;
    max = Math.max(max, now);
  }
  return { max, jobs: events.length / 2 };
}

/** sub.mk: eight jobs that record their intervals. */
const SUB_MK = ["JOBS := 1 2 3 4 5 6 7 8", "all: $(addprefix job,$(JOBS))", "job%:", `\t@${JOB("intervals.txt")}`, ".PHONY: all", ""].join("\n");

function hasMake(): boolean {
  return spawnSync("make", ["--version"], { encoding: "utf8" }).status === 0;
}

test("a recipe running GNU make in parallel inside flow -j2: the jobs of both recipes never exceed 2 at once", { skip: !hasMake() }, () => {
  // Each recipe is a tool that, like cargo or ninja, runs in parallel on its
  // own (make -j8) unless a jobserver is offered, in which case it uses that.
  const recipe = (tag: string) =>
    [
      `${tag}.done:`,
      `\techo "MAKEFLAGS=$$MAKEFLAGS" > ${tag}.env`,
      `\tcase "$$MAKEFLAGS" in *--jobserver-auth=*) make -f sub.mk ;; *) make -j8 -f sub.mk ;; esac > ${tag}.make.log 2>&1`,
      `\ttouch $@`,
    ].join("\n");
  const dir = writeProject({ "sub.mk": SUB_MK, Makefile: ["all: a.done b.done", recipe("a"), recipe("b"), ""].join("\n") });
  try {
    const r = buildJson(["-j", "2"], { cwd: dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const o = maxOverlap(join(dir, "intervals.txt"));
    assert.equal(o.jobs, 16, "both makes ran their eight jobs");
    assert.ok(o.max <= 2, `at most 2 jobs at once under flow -j2, saw ${o.max}`);
    for (const tag of ["a", "b"]) {
      assert.match(readFileSync(join(dir, `${tag}.env`), "utf8"), /^MAKEFLAGS= -j2 --jobserver-auth=3,4$/m);
      assert.doesNotMatch(readFileSync(join(dir, `${tag}.make.log`), "utf8"), /jobserver unavailable|warning/);
    }
  } finally {
    cleanup(dir);
  }
});

test("one recipe running GNU make inside flow -j3 is handed the spare slots: two of its jobs that wait for each other both run", { skip: !hasMake() }, () => {
  // Each job marks that it started, then waits (up to a minute) for the other's
  // mark: they finish only if make runs them at the same time, which it does
  // only with a token from flow's pipe (make itself has no -j here).
  const job = (me: string, other: string) => [`${me}:`, `\t@touch ${me}.started; i=0; while [ ! -e ${other}.started ]; do i=$$((i+1)); [ $$i -lt 600 ] || exit 1; sleep 0.1; done`].join("\n");
  const dir = writeProject({
    "pair.mk": ["all: j1 j2", ".PHONY: all j1 j2", job("j1", "j2"), job("j2", "j1"), ""].join("\n"),
    Makefile: ["a.done:", "\tmake -f pair.mk", "\ttouch $@", ""].join("\n"),
  });
  try {
    const r = buildJson(["-j", "3"], { cwd: dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
  } finally {
    cleanup(dir);
  }
});

test("flow started by GNU make -j2 takes its job slots from make's jobserver: two flows' tasks never exceed 2 at once", { skip: !hasMake() }, () => {
  const sub = (tag: string) => ({
    [`${tag}/Makefile`]: ["all: " + [1, 2, 3, 4, 5, 6].map((i) => `t${i}`).join(" "), ".PHONY: all", "t%:", `\t${JOB("../intervals.txt")}`, "\ttouch $@", ""].join("\n"),
  });
  const flowCmd = `${process.execPath} --no-concurrent-recompilation ${flowBin} build`;
  const dir = writeProject({
    ...sub("x"),
    ...sub("y"),
    // '+': make passes its jobserver to the line (make 4.3 passes it to every line anyway).
    Makefile: ["all: x y", "x y:", `\t+${flowCmd} -C $@ > $@.log 2>&1`, ".PHONY: all x y", ""].join("\n"),
  });
  try {
    const r = spawnSync("make", ["-j2"], { cwd: dir, encoding: "utf8", env: { ...process.env, MAKEFLAGS: "", MAKELEVEL: "" } });
    assert.equal(r.status, 0, r.stdout + r.stderr + readFileSync(join(dir, "x.log"), "utf8"));
    const o = maxOverlap(join(dir, "intervals.txt"));
    assert.equal(o.jobs, 12);
    assert.ok(o.max <= 2, `at most 2 tasks at once under make -j2, saw ${o.max}`);
    assert.doesNotMatch(readFileSync(join(dir, "x.log"), "utf8"), /JOBSERVER_UNAVAILABLE/);
  } finally {
    cleanup(dir);
  }
});

test("MAKEFLAGS naming a jobserver that is not open: one warning, and the build runs one task at a time", () => {
  const dir = writeProject({
    Makefile: ["all: t1 t2 t3", ".PHONY: all", "t%:", `\t${JOB("intervals.txt")}`, "\ttouch $@", ""].join("\n"),
  });
  try {
    const r = buildJson([], { cwd: dir, env: { MAKEFLAGS: " -j4 --jobserver-auth=97,98" } });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.stderr.match(/JOBSERVER_UNAVAILABLE/g)?.length, 1, r.stderr);
    assert.match(r.stderr, /running one task at a time \(-j 1\)/);
    assert.equal(maxOverlap(join(dir, "intervals.txt")).max, 1);
  } finally {
    cleanup(dir);
  }
});

/** Waits (at most ~10 s, then goes on) until FILE exists. */
const WAIT = (file: string) => `i=0; while [ ! -e ${file} ] && [ $$i -lt 100 ]; do i=$$((i+1)); sleep 0.1; done`;

test("$(MAKE) -C sub runs a flow sub-build: targets and variables passed, MAKELEVEL counted, its tasks in the parent's summary, the -j shared", () => {
  // The parent's own jobs (l*) start recording once a sub-build job (p*) has
  // started, and sub-build jobs stay until a parent job has started: any
  // sub-build jobs running beside a parent job overlap it in the record.
  const dir = writeProject({
    Makefile: [
      ".PHONY: all sub",
      "all: sub l1 l2 l3",
      "sub:",
      "\t$(MAKE) -C lib out.txt MSG=hello",
      "l%:",
      `\t${WAIT("p.started")}; s=$$(date +%s%N); touch l.started; sleep 0.3; e=$$(date +%s%N); echo "$$s $$e" >> intervals.txt`,
      "\ttouch $@",
      "",
    ].join("\n"),
    "lib/Makefile": [
      "out.txt: " + [1, 2, 3, 4, 5].map((i) => `p${i}`).join(" "),
      "\techo 'msg=$(MSG) top=$(TOP) level=$(MAKELEVEL)' > $@",
      "p%:",
      `\ts=$$(date +%s%N); touch ../p.started; ${WAIT("../l.started")}; sleep 0.3; e=$$(date +%s%N); echo "$$s $$e" >> ../intervals.txt`,
      "\ttouch $@",
      "",
    ].join("\n"),
  });
  try {
    const r = buildJson(["-j", "2", "TOP=1"], { cwd: dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    // MSG from $(MAKE)'s command line, TOP from the parent's (through MAKEFLAGS), MAKELEVEL one down.
    assert.equal(readFileSync(join(dir, "lib", "out.txt"), "utf8"), "msg=hello top=1 level=1\n");
    const sub = (r.summary.tasks.find((t) => t.name === "sub") as unknown as { sub?: { name: string; status: string }[] }).sub;
    assert.deepEqual(sub?.map((t) => `${t.name} ${t.status}`).sort(), ["lib/out.txt ran", "lib/p1 ran", "lib/p2 ran", "lib/p3 ran", "lib/p4 ran", "lib/p5 ran"]);
    assert.match(r.stderr, /ran {7}lib\/out\.txt \([0-9.]+s, sub-build of sub\)/);
    assert.match(r.stderr, /flow: done: .*; sub-builds: 6 ran/);
    const o = maxOverlap(join(dir, "intervals.txt"));
    assert.equal(o.jobs, 8);
    assert.ok(o.max <= 2, `parent and sub-build together at most 2 at once under -j2, saw ${o.max}`);
    assert.ok(!existsSync(join(dir, "lib", ".flow", "lock")), "the sub-build released its lock");
  } finally {
    cleanup(dir);
  }
});

test("$(MAKE) target in the same directory (a Lua-style platform target) shares the parent's workspace lock instead of waiting for it", () => {
  const dir = writeProject({
    Makefile: [".PHONY: linux", "linux:", '\t$(MAKE) prog SYSCFLAGS="-DX -DY"', "prog:", "\techo '$(SYSCFLAGS)' > $@", ""].join("\n"),
  });
  try {
    const r = flow(["build", "linux"], { cwd: dir, timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(readFileSync(join(dir, "prog"), "utf8"), "-DX -DY\n");
    assert.match(r.stdout, /ran {7}prog \([0-9.]+s, sub-build of linux\)/);
    assert.ok(!existsSync(join(dir, ".flow", "lock")), "the lock is released once");
  } finally {
    cleanup(dir);
  }
});

test("Ctrl-C under a jobserver: flow gives back the tokens its running and waiting recipes held", async () => {
  // The test plays make: a FIFO with one token, passed to flow as fds 3 and 4.
  const dir = writeProject({
    Makefile: ["all: t1 t2 t3", ".PHONY: all", "t%:", "\ttouch started.$@; sleep 60", ""].join("\n"),
  });
  const fifo = join(dir, "jobserver.fifo");
  assert.equal(spawnSync("mkfifo", [fifo]).status, 0);
  const rw = openSync(fifo, constants.O_RDWR);
  const w = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
  const peek = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    writeSync(w, "+");
    const child = spawn(process.execPath, ["--no-concurrent-recompilation", flowBin, "build"], {
      cwd: dir,
      env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: dir, MAKEFLAGS: " -j2 --jobserver-auth=3,4" },
      stdio: ["ignore", "pipe", "pipe", rw, w],
    });
    let out = "";
    child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    // Two recipes run (the implicit slot and the one token); the third waits for a token.
    const deadline = Date.now() + 60_000;
    const started = () => ["t1", "t2", "t3"].filter((t) => existsSync(join(dir, `started.${t}`))).length;
    while (started() < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(started(), 2, `two recipes started, no more: ${out}`);
    const buf = Buffer.alloc(8);
    assert.throws(() => readSync(peek, buf, 0, 8, null), /EAGAIN/, "flow holds the only token");
    child.kill("SIGINT");
    assert.equal(await exited, 130, out);
    assert.equal(started(), 2, "the waiting recipe never started");
    assert.equal(readSync(peek, buf, 0, 8, null), 1, "the token is back in the pipe");
  } finally {
    for (const fd of [rw, w, peek]) closeSync(fd);
    cleanup(dir);
  }
});

test("flow status and explain read $(MAKE) as the build does: a task whose recipe runs $(MAKE) is fresh after the build", () => {
  const dir = writeProject({
    Makefile: ["out.txt:", "\t$(MAKE) -C sub x.txt", "\tcp sub/x.txt $@", ""].join("\n"),
    "sub/Makefile": ["x.txt:", "\techo x > $@", ""].join("\n"),
  });
  try {
    const b = flow(["build"], { cwd: dir });
    assert.equal(b.code, 0, b.stdout + b.stderr);
    const s = flow(["status"], { cwd: dir });
    assert.match(s.stdout, /all fresh/, s.stdout + s.stderr);
    const x = flow(["explain", "out.txt"], { cwd: dir });
    assert.match(x.stdout, /fresh/, x.stdout + x.stderr);
  } finally {
    cleanup(dir);
  }
});
