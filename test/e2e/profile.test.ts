// `flow build --profile FILE` (docs/profile.md): a Chrome trace-event JSON,
// one track per job slot, one complete event per task that did work with its
// phases nested in it; and the critical-path order it lets a user see.
import assert from "node:assert/strict";
import { existsSync, lstatSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { buildJson, cleanup, flow, writeProject, type JsonSummary } from "./support.js";

interface TraceEvent {
  name: string;
  ph: string;
  cat?: string;
  ts?: number;
  dur?: number;
  pid: number;
  tid?: number;
  args?: Record<string, unknown>;
}

/** The file parsed and checked against the trace-event format's rules for the two kinds flow writes. */
function readTrace(path: string): TraceEvent[] {
  const doc = JSON.parse(readFileSync(path, "utf8")) as { traceEvents?: unknown };
  assert.ok(Array.isArray(doc.traceEvents), "a JSON object with a traceEvents array");
  const events = doc.traceEvents as TraceEvent[];
  for (const e of events) {
    assert.ok(e.ph === "X" || e.ph === "M", `only complete and metadata events: ${JSON.stringify(e)}`);
    assert.equal(typeof e.name, "string");
    assert.ok(Number.isInteger(e.pid));
    if (e.ph === "X") {
      assert.ok(Number.isInteger(e.tid), `a complete event has a tid: ${JSON.stringify(e)}`);
      assert.ok(Number.isFinite(e.ts) && (e.ts as number) >= 0, `ts in µs: ${JSON.stringify(e)}`);
      assert.ok(Number.isFinite(e.dur) && (e.dur as number) >= 0, `dur in µs: ${JSON.stringify(e)}`);
    } else assert.equal(typeof e.args, "object");
  }
  return events;
}

const tasksOf = (events: TraceEvent[]) => events.filter((e) => e.ph === "X" && e.cat?.startsWith("task,") === true);
const phasesOf = (events: TraceEvent[], task: TraceEvent) =>
  events.filter((e) => e.ph === "X" && e.cat?.startsWith("phase,") === true && e.args?.["task"] === task.name).map((e) => ({ ...e, phase: (e.cat as string).slice("phase,".length) }));
const didWork = (s: JsonSummary) => s.tasks.filter((t) => t.status === "ran" || t.status === "restored").map((t) => t.name);

// Four independent tasks and a chain of two behind them; `all` has no recipe.
const PROJECT = {
  Flowfile: [
    "all: a b c d e",
    "a b c d:",
    "\tsleep 0.2; echo $@ > $@",
    "base:",
    "\techo base > $@",
    "e: base",
    "\tcat $< > $@",
    "",
  ].join("\n"),
};

describe("flow build --profile", () => {
  test("valid trace-event JSON: one complete event per task that ran, on job-slot tracks within -j, phases nested in it", () => {
    const dir = writeProject(PROJECT);
    try {
      const b = buildJson(["-j", "2", "--profile", "trace.json"], { cwd: dir });
      assert.equal(b.code, 0, b.stderr);
      const events = readTrace(join(dir, "trace.json"));
      const tasks = tasksOf(events);
      const ran = didWork(b.summary).sort();
      assert.deepEqual(ran, ["a", "b", "base", "c", "d", "e"]);
      assert.deepEqual(tasks.map((t) => t.name).sort(), ran, "exactly one complete event per task that ran");
      const tids = new Set(tasks.map((t) => t.tid as number));
      for (const tid of tids) {
        assert.ok(tid >= 1 && tid <= 2, `tid ${tid} within -j 2`);
        const named = events.find((e) => e.ph === "M" && e.name === "thread_name" && e.tid === tid);
        assert.match(String(named?.args?.["name"]), new RegExp(`^job slot ${tid}$`));
        // A slot runs one task at a time.
        const onSlot = tasks.filter((t) => t.tid === tid).sort((x, y) => (x.ts as number) - (y.ts as number));
        for (let i = 1; i < onSlot.length; i++) {
          const prev = onSlot[i - 1] as TraceEvent;
          assert.ok((prev.ts as number) + (prev.dur as number) <= ((onSlot[i] as TraceEvent).ts as number), `slot ${tid}: ${prev.name} overlaps ${onSlot[i]?.name}`);
        }
      }
      for (const t of tasks) {
        const phases = phasesOf(events, t);
        assert.deepEqual(
          phases.map((p) => p.phase),
          ["look-up", "run", "store"],
          t.name,
        );
        for (const p of phases) {
          assert.equal(p.tid, t.tid);
          assert.ok((p.ts as number) >= (t.ts as number) && (p.ts as number) + (p.dur as number) <= (t.ts as number) + (t.dur as number), `${p.name} of ${t.name} inside it`);
        }
        assert.equal(t.args?.["status"], "ran");
      }
    } finally {
      cleanup(dir);
    }
  });

  test("a restore shows as a restore; fresh tasks are left out", () => {
    const dir = writeProject(PROJECT);
    try {
      assert.equal(flow(["build", "-j", "2"], { cwd: dir }).code, 0);
      rmSync(join(dir, "e"));
      const b = buildJson(["-j", "2", "--profile", "trace.json"], { cwd: dir });
      assert.equal(b.code, 0, b.stderr);
      assert.deepEqual(didWork(b.summary), ["e"]);
      const events = readTrace(join(dir, "trace.json"));
      const tasks = tasksOf(events);
      assert.deepEqual(
        tasks.map((t) => [t.name, t.args?.["status"], t.tid]),
        [["e", "restored", 1]],
      );
      assert.deepEqual(
        phasesOf(events, tasks[0] as TraceEvent).map((p) => [p.name, p.phase]),
        [
          ["cache look-up", "look-up"],
          ["restore", "restore"],
        ],
      );
    } finally {
      cleanup(dir);
    }
  });

  test("a link at FILE is replaced, never written through; an unwritable FILE is a warning, not a failed build", () => {
    const dir = writeProject({ ...PROJECT, "victim.txt": "keep me\n" });
    try {
      symlinkSync(join(dir, "victim.txt"), join(dir, "trace.json"));
      const b = flow(["build", "-j", "2", "--profile", "trace.json"], { cwd: dir });
      assert.equal(b.code, 0, b.stderr);
      assert.equal(readFileSync(join(dir, "victim.txt"), "utf8"), "keep me\n");
      assert.ok(lstatSync(join(dir, "trace.json")).isFile());
      readTrace(join(dir, "trace.json"));
      mkdirSync(join(dir, "a-directory"));
      const bad = flow(["build", "-B", "--profile", "a-directory"], { cwd: dir });
      assert.equal(bad.code, 0, bad.stderr);
      assert.match(bad.stdout + bad.stderr, /warning PROFILE_NOT_WRITTEN: could not write the profile to .*a-directory/);
      assert.ok(!existsSync(join(dir, `.a-directory.${process.pid}.tmp`)));
    } finally {
      cleanup(dir);
    }
  });
});

describe("the order tasks start in", () => {
  // At -j 1, three independent tasks listed a, b, c: the profile says which started first.
  const firstStarted = (dir: string, env: NodeJS.ProcessEnv = {}) => {
    const b = flow(["build", "-B", "-j", "1", "--profile", "trace.json"], { cwd: dir, env });
    assert.equal(b.code, 0, b.stderr);
    return tasksOf(readTrace(join(dir, "trace.json")))
      .sort((x, y) => (x.ts as number) - (y.ts as number))
      .map((t) => t.name);
  };
  const project = { Flowfile: "all: a b c\na b c:\n\techo $@ > $@\n" };

  test("the recorded durations weigh the critical path; FLOW_SCHEDULE=fifo keeps the listed order", () => {
    const dir = writeProject(project);
    try {
      assert.deepEqual(firstStarted(dir), ["a", "b", "c"], "nothing recorded: all weigh the same, listed order");
      mkdirSync(join(dir, ".flow", "runs"), { recursive: true });
      writeFileSync(join(dir, ".flow", "runs", "durations.json"), JSON.stringify({ version: 1, tasks: { a: 10, b: 2000, c: 500 } }));
      assert.deepEqual(firstStarted(dir), ["b", "c", "a"], "the longest first");
      assert.deepEqual(firstStarted(dir, { FLOW_SCHEDULE: "fifo" }), ["a", "b", "c"]);
      const odd = flow(["build", "-B", "-j", "1"], { cwd: dir, env: { FLOW_SCHEDULE: "lifo" } });
      assert.equal(odd.code, 0, odd.stderr);
      assert.match(odd.stdout, /warning UNKNOWN_SCHEDULE: FLOW_SCHEDULE=lifo is neither 'critical-path' nor 'fifo'; scheduling by the critical path/);
    } finally {
      cleanup(dir);
    }
  });
});
