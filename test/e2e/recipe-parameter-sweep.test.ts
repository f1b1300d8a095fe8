// recipes/parameter-sweep (issue 19, job 4): a task DAG configured by
// parameters. Data -> split -> train (LEARNING_RATE, EPOCHS) -> score ->
// evaluate (THRESHOLD) -> report, with a baseline beside the model. Each
// parameter is a plain variable in the recipe text of the tasks that use it.
// The scenario: build, build again (nothing runs); a parameter changed on the
// command line: the plan (ascii and json) marks exactly the task that uses it
// and that task's descendants, and the build reruns exactly those; changed
// back, everything comes from the cache (nothing runs); the run's directory
// records the parameters each build ran with.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { buildJson, cleanup, copyRecipe, didWork, flow, read, withStatus } from "./support.js";

const RECIPE_TASKS = [
  "out/baseline.txt",
  "out/data.csv",
  "out/metrics.txt",
  "out/model.txt",
  "out/report.md",
  "out/scores.csv",
  "out/split/test.csv",
  "out/split/train.csv",
];

interface PlanTask {
  name: string;
  state: "fresh" | "cached" | "stale" | "waiting";
  reason: { kind: string; text: string } | null;
}
interface Plan {
  tasks: PlanTask[];
  edges: { from: string; to: string; orderOnly: boolean }[];
}

function planJson(dir: string, args: string[]): Plan {
  const r = flow(["status", "--plan", "json", ...args], { cwd: dir });
  assert.ok(r.code === 0 || r.code === 1, r.stdout + r.stderr);
  return JSON.parse(r.stdout) as Plan;
}

/** The names of the plan's tasks in a state other than fresh: what the build will run or restore. */
const notFresh = (plan: Plan): string[] =>
  plan.tasks
    .filter((t) => t.state !== "fresh")
    .map((t) => t.name)
    .sort();

/** `from` and every task that depends on it, directly or not, by the plan's own edges. */
function withDescendants(plan: Plan, from: string): string[] {
  const found = new Set([from]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const e of plan.edges) {
      if (found.has(e.from) && !found.has(e.to)) {
        found.add(e.to);
        grew = true;
      }
    }
  }
  return [...found].sort();
}

/** Each node of an ascii plan drawing with its mark: "out/model.txt" -> "S"; a group by its pattern. */
function marks(drawing: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of drawing.split("\n")) {
    const m = /^\d+ \| (.*)$/.exec(line);
    if (m === null) continue;
    for (const node of (m[1] as string).matchAll(/(\S+)(?: x\d+ \([^)]*\))? \[([SWCF])\]/g)) out.set(node[1] as string, node[2] as string);
  }
  return out;
}

/** The newest run's record, as `flow runs show --json` prints it. */
function newestRun(dir: string): { run: number; args: string[]; environment: { variables: Record<string, string>; overrides: Record<string, string> } } {
  const r = flow(["runs", "show", "--json"], { cwd: dir });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return JSON.parse(r.stdout) as ReturnType<typeof newestRun>;
}

/** The value of NAME in one of the recipe's "name value" files. */
const value = (dir: string, file: string, name: string): string => read(dir, file).match(new RegExp(`^${name} (\\S+)$`, "m"))?.[1] ?? `(no ${name} in ${file})`;

describe("recipes/parameter-sweep", () => {
  let dir: string;
  let firstRun: number;
  let firstReport: string;
  let firstMetrics: string;
  before(() => {
    dir = copyRecipe("parameter-sweep");
  });
  after(() => cleanup(join(dir, "..")));

  test("the first build runs every task and the model beats the baseline; a second build runs nothing", () => {
    const first = buildJson([], { cwd: dir });
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.deepEqual(withStatus(first.summary, "ran"), RECIPE_TASKS);
    firstRun = newestRun(dir).run;
    firstReport = read(dir, "out/report.md");
    firstMetrics = read(dir, "out/metrics.txt");

    assert.equal(read(dir, "out/split/train.csv").trimEnd().split("\n").length, 1 + 300);
    assert.equal(read(dir, "out/split/test.csv").trimEnd().split("\n").length, 1 + 100);
    assert.equal(value(dir, "out/model.txt", "learning_rate"), "0.5");
    assert.equal(value(dir, "out/metrics.txt", "threshold"), "0.5");
    assert.ok(Number(value(dir, "out/metrics.txt", "accuracy")) > Number(value(dir, "out/baseline.txt", "accuracy")) + 0.2, read(dir, "out/report.md"));
    assert.match(firstReport, /^\| THRESHOLD \| 0\.5 \|$/m);

    const second = buildJson([], { cwd: dir });
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(didWork(second.summary), []);
  });

  test("THRESHOLD changed on the command line: the plan marks the evaluation and what follows it, and the build reruns exactly those", () => {
    const drawing = flow(["status", "--plan", "ascii", "--width", "120", "THRESHOLD=0.7"], { cwd: dir });
    assert.equal(drawing.code, 1, drawing.stdout + drawing.stderr);
    const drawn = marks(drawing.stdout);
    assert.equal(drawn.get("out/metrics.txt"), "S", drawing.stdout);
    assert.deepEqual(
      [...drawn].filter(([, mark]) => mark !== "F").map(([name, mark]) => `${name} ${mark}`),
      ["out/metrics.txt S", "out/report.md W", "all W"],
      drawing.stdout,
    );
    assert.deepEqual([...drawn.keys()].sort(), ["all", "out/baseline.txt", "out/data.csv", "out/metrics.txt", "out/model.txt", "out/report.md", "out/scores.csv", "out/split/%.csv"]);

    const plan = planJson(dir, ["THRESHOLD=0.7"]);
    const metrics = plan.tasks.find((t) => t.name === "out/metrics.txt");
    assert.equal(metrics?.state, "stale");
    assert.equal(metrics?.reason?.kind, "recipe-changed");
    assert.deepEqual(notFresh(plan), withDescendants(plan, "out/metrics.txt"), "exactly the task that uses THRESHOLD and its descendants");
    assert.deepEqual(notFresh(plan), ["all", "out/metrics.txt", "out/report.md"]);

    const r = buildJson(["THRESHOLD=0.7"], { cwd: dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    // `all` has no recipe: it is never run, only decided.
    assert.deepEqual(didWork(r.summary), notFresh(plan).filter((n) => n !== "all"));
    assert.deepEqual(withStatus(r.summary, "ran"), ["out/metrics.txt", "out/report.md"]);
    assert.equal(value(dir, "out/metrics.txt", "threshold"), "0.7");
    assert.match(read(dir, "out/report.md"), /^\| THRESHOLD \| 0\.7 \|$/m);

    // The run's directory records the override; the first run, the Flowfile's default.
    const run = newestRun(dir);
    assert.deepEqual(run.args, ["build", "--json", "THRESHOLD=0.7"]);
    assert.deepEqual(run.environment.overrides, { THRESHOLD: "0.7" });
    const firstEnv = JSON.parse(flow(["runs", "show", String(firstRun), "--json"], { cwd: dir }).stdout) as ReturnType<typeof newestRun>;
    assert.deepEqual(firstEnv.environment.overrides, {});
    assert.deepEqual(firstEnv.environment.variables, { EPOCHS: "200", LEARNING_RATE: "0.5", SAMPLES: "400", SEED: "7", THRESHOLD: "0.5" });

    assert.deepEqual(didWork(buildJson(["THRESHOLD=0.7"], { cwd: dir }).summary), [], "the same override again: nothing to do");
  });

  test("THRESHOLD back to its default: the plan says cached, and the build restores the evaluation and the report without running a recipe", () => {
    const plan = planJson(dir, []);
    assert.deepEqual(
      plan.tasks.filter((t) => t.state !== "fresh").map((t) => `${t.name} ${t.state}`),
      ["out/metrics.txt cached", "out/report.md cached", "all cached"],
    );
    const r = buildJson([], { cwd: dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(withStatus(r.summary, "ran"), []);
    assert.deepEqual(withStatus(r.summary, "restored"), ["out/metrics.txt", "out/report.md"]);
    assert.equal(read(dir, "out/report.md"), firstReport);
    const run = newestRun(dir);
    assert.deepEqual(run.environment.overrides, {});
    assert.equal(run.environment.variables["THRESHOLD"], "0.5");
  });

  test("LEARNING_RATE changed: training and everything after it rerun; the data, its split and the baseline do not", () => {
    // So small a rate that 200 epochs leave the model under-trained: its
    // scores, and so its metrics at THRESHOLD, differ from the default's.
    const plan = planJson(dir, ["LEARNING_RATE=0.01"]);
    assert.equal(plan.tasks.find((t) => t.name === "out/model.txt")?.state, "stale");
    assert.deepEqual(notFresh(plan), withDescendants(plan, "out/model.txt"));
    assert.deepEqual(notFresh(plan), ["all", "out/metrics.txt", "out/model.txt", "out/report.md", "out/scores.csv"]);

    const r = buildJson(["LEARNING_RATE=0.01"], { cwd: dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(withStatus(r.summary, "ran"), ["out/metrics.txt", "out/model.txt", "out/report.md", "out/scores.csv"]);
    assert.equal(value(dir, "out/model.txt", "learning_rate"), "0.01");
    assert.notEqual(read(dir, "out/metrics.txt"), firstMetrics, "the under-trained model scores differently");
    assert.deepEqual(newestRun(dir).environment.overrides, { LEARNING_RATE: "0.01" });

    const back = buildJson([], { cwd: dir });
    assert.equal(back.code, 0, back.stderr);
    assert.deepEqual(withStatus(back.summary, "ran"), []);
    assert.deepEqual(withStatus(back.summary, "restored"), ["out/metrics.txt", "out/model.txt", "out/report.md", "out/scores.csv"]);
    assert.equal(read(dir, "out/report.md"), firstReport);
  });
});
