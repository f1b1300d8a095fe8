// `flow status` with generated includes (issue 13), on recipes/manifest-pipeline:
// out/tasks.mk is included and made by a rule, so a build makes it first and
// reads the Flowfile again. Status must say so: the include's task as it
// stands, the rest unknown until it is made, exit 1; and the build then does
// what status said.
import assert from "node:assert/strict";
import { appendFileSync, existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { buildJson, cleanup, copyRecipe, didWork, flow } from "./support.js";

interface PlanDoc {
  roots: string[];
  counts: Record<string, number>;
  tasks: { name: string; state: string; reason: { kind: string; text: string } | null }[];
  includes?: { files: string[]; tasks: string[]; pending: boolean };
}

interface IncludeRun {
  round: number;
  name: string;
  status: string;
}

const statusJson = (dir: string): { code: number | null; doc: PlanDoc } => {
  const r = flow(["status", "--plan", "json"], { cwd: dir });
  return { code: r.code, doc: JSON.parse(r.stdout) as PlanDoc };
};

/** Names of the tasks a plan says the build will work on (stale or cached). */
const toDo = (doc: PlanDoc): string[] =>
  doc.tasks
    .filter((t) => t.state === "stale" || t.state === "cached")
    .map((t) => t.name)
    .sort();

/** The include tasks that did work in the build's first round. */
function includeWork(summary: unknown, round = 1): string[] {
  const runs = ((summary as { includes?: IncludeRun[] }).includes ?? []).filter((t) => t.round === round);
  return runs
    .filter((t) => t.status === "ran" || t.status === "restored")
    .map((t) => t.name)
    .sort();
}

describe("flow status with a generated include (recipes/manifest-pipeline)", () => {
  let dir: string;
  before(() => {
    dir = copyRecipe("manifest-pipeline");
  });
  after(() => cleanup(join(dir, "..")));

  test("a fresh checkout: exit 1 (not FLOW016), the include's task stale, the rest unknown; nothing written", () => {
    const r = flow(["status"], { cwd: dir });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.equal(r.stderr, "");
    const out = r.stdout.split("\n");
    assert.match(out[0] as string, /^flow status: generated include out\/tasks\.mk first: 1 task: 1 stale, 0 waiting, 0 cached, 0 fresh; the rest unknown/);
    assert.match(out[1] as string, /^ {2}stale +out\/tasks\.mk +new task/);
    assert.match(out[2] as string, /^ {2}unknown +the rest: known once out\/tasks\.mk is made/);

    const { code, doc } = statusJson(dir);
    assert.equal(code, 1);
    assert.deepEqual(doc.includes, { files: ["out/tasks.mk"], tasks: ["out/tasks.mk"], pending: true });
    assert.deepEqual(
      doc.tasks.map((t) => [t.name, t.state]),
      [["out/tasks.mk", "stale"]],
    );

    const ascii = flow(["status", "--plan", "ascii", "--width", "100"], { cwd: dir });
    assert.equal(ascii.code, 1);
    assert.match(ascii.stdout, /^flow plan: generated include first: 1 task: 1 stale/);
    assert.match(ascii.stdout, /\n0 \| out\/tasks\.mk \[S\]\n\? \| the rest \[\?\]: unknown until out\/tasks\.mk is made/);
    assert.equal(existsSync(join(dir, "out")), false, "status must not make the include");
    assert.equal(existsSync(join(dir, ".flow")), false, "status must not create a cache");
  });

  test("the first build makes what status said, then status is all fresh (exit 0), includes settled", () => {
    const said = toDo(statusJson(dir).doc);
    const b = buildJson([], { cwd: dir });
    assert.equal(b.code, 0, b.stderr);
    assert.deepEqual(includeWork(b.summary), said);
    const r = flow(["status"], { cwd: dir });
    assert.equal(r.code, 0, r.stdout);
    assert.equal(r.stdout, "flow status: 8 tasks, all fresh: nothing to do\n");
    const { code, doc } = statusJson(dir);
    assert.equal(code, 0);
    assert.deepEqual(doc.includes, { files: ["out/tasks.mk"], tasks: ["out/tasks.mk"], pending: false });
    assert.equal(doc.tasks.length, 8);
  });

  test("a line added to manifest.tsv: status is not fresh (exit 1), and the build runs what it said, then the new entry's tasks", () => {
    appendFileSync(join(dir, "manifest.tsv"), "cities2\tdata/cities.csv\t2\n");
    const r = flow(["status"], { cwd: dir });
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout.split("\n")[1] as string, /^ {2}stale +out\/tasks\.mk +input changed: manifest\.tsv$/);
    const { code, doc } = statusJson(dir);
    assert.equal(code, 1);
    assert.equal(doc.includes?.pending, true);
    assert.deepEqual(toDo(doc), ["out/tasks.mk"]);

    const b = buildJson([], { cwd: dir });
    assert.equal(b.code, 0, b.stderr);
    assert.deepEqual(includeWork(b.summary), ["out/tasks.mk"]);
    assert.deepEqual(didWork(b.summary), ["out/fetched/cities2.csv", "out/report.txt", "out/stats/cities2.txt"]);
    assert.equal(flow(["status"], { cwd: dir }).code, 0);
  });

  test("the included file deleted: its task is cached (restored), still pending", () => {
    rmSync(join(dir, "out", "tasks.mk"));
    const { code, doc } = statusJson(dir);
    assert.equal(code, 1);
    assert.equal(doc.includes?.pending, true);
    assert.deepEqual(
      doc.tasks.map((t) => [t.name, t.state]),
      [["out/tasks.mk", "cached"]],
    );
    const b = buildJson([], { cwd: dir });
    assert.equal(b.code, 0, b.stderr);
    assert.deepEqual(
      ((b.summary as unknown as { includes: IncludeRun[] }).includes ?? []).filter((t) => t.round === 1).map((t) => [t.name, t.status]),
      [["out/tasks.mk", "restored"]],
    );
    assert.deepEqual(didWork(b.summary), []);
  });
});
