// recipes/phased-analysis (issue 19, job 1): a raw trace file per run number
// -> point cloud -> clusters -> estimates, each phase a pattern rule over run
// numbers, with a gain table and a detector map made once for every run. The
// scenario: build, build again (nothing runs); a run range from the command
// line, missing runs noted; a schema mismatch fails that run's phase naming
// the file and the column, the other runs finish under -k; the first phase
// switched off (--assume-fresh) after its script was edited: nothing of it
// reruns, the later phases run from its artifacts; switched back on: it
// reruns, and early cutoff spares what comes out the same.
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { buildJson, cleanup, copyRecipe, didWork, flow, read, withStatus, type JsonSummary } from "./support.js";

const ALL_RUNS = ["0001", "0002", "0003", "0005", "0006", "0007", "0009"];
const phase = (name: string, runs: readonly string[], ext = "csv"): string[] => runs.map((r) => `out/${name}/run-${r}.${ext}`);
const ASSETS = ["out/assets/detector-map.csv", "out/assets/gain-table.csv"];
const POINTS = "out/points/%";

function task(s: JsonSummary, name: string) {
  const t = s.tasks.find((x) => x.name === name);
  assert.ok(t, `no task ${name} in the summary`);
  return t as typeof t & { logPath?: string };
}

describe("recipes/phased-analysis", () => {
  let dir: string;
  before(() => {
    dir = copyRecipe("phased-analysis");
  });
  after(() => cleanup(join(dir, "..")));

  test("the first build makes the assets once and every phase of every run with raw data; a second build runs nothing", () => {
    const first = buildJson([], { cwd: dir });
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.deepEqual(
      didWork(first.summary),
      [...ASSETS, ...phase("clusters", ALL_RUNS), ...phase("estimates", ALL_RUNS, "json"), ...phase("points", ALL_RUNS), "out/summary.csv"].sort(),
    );
    // Runs 4 and 8 have no raw file: a note each, and no task.
    assert.match(first.stderr, /run 0004 skipped: no data\/raw\/run-0004\.csv/);
    assert.match(first.stderr, /run 0008 skipped: no data\/raw\/run-0008\.csv/);
    assert.ok(!first.summary.tasks.some((t) => t.name.includes("0004") || t.name.includes("0008")));
    const summary = read(dir, "out/summary.csv").trimEnd().split("\n");
    assert.equal(summary[0], "run,clusters,mean_energy_kev,mean_energy_err_kev");
    assert.deepEqual(summary.slice(1).map((l) => l.split(",")[0]), ["1", "2", "3", "5", "6", "7", "9"]);
    for (const l of summary.slice(1)) assert.match(l, /^\d+,\d+,\d+\.\d{3},\d+\.\d{3}$/);

    const second = buildJson([], { cwd: dir });
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(didWork(second.summary), []);
  });

  test("each run's random numbers come from its run number: a forced rerun makes the same bytes", () => {
    const seeds = ALL_RUNS.map((r) => (JSON.parse(read(dir, `out/estimates/run-${r}.json`)) as { seed: number }).seed);
    assert.equal(new Set(seeds).size, ALL_RUNS.length, "one seed per run");
    const chain = ["out/points/run-0003.csv", "out/clusters/run-0003.csv", "out/estimates/run-0003.json"];
    const before = chain.map((p) => read(dir, p));
    const again = buildJson(["-B", "out/estimates/run-0003.json"], { cwd: dir });
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(withStatus(again.summary, "ran"), [...ASSETS, ...chain].sort());
    assert.deepEqual(chain.map((p) => read(dir, p)), before);
  });

  test("the run range comes from the command line; runs without raw data in it are noted, not built", () => {
    const r = buildJson(["RUN_MIN=3", "RUN_MAX=7"], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const runs = ["0003", "0005", "0006", "0007"];
    assert.deepEqual(r.summary.tasks.map((t) => t.name).filter((n) => n.includes("/run-")).sort(), [...phase("clusters", runs), ...phase("estimates", runs, "json"), ...phase("points", runs)].sort());
    assert.deepEqual(didWork(r.summary), ["out/summary.csv"], "the runs' phases are done already; only the summary is another");
    assert.match(r.stderr, /run 0004 skipped/);
    assert.doesNotMatch(r.stderr, /run 0008 skipped/, "8 is outside the range");
    assert.deepEqual(read(dir, "out/summary.csv").trimEnd().split("\n").slice(1).map((l) => l.split(",")[0]), ["3", "5", "6", "7"]);
  });

  test("a schema mismatch fails that run's phase, naming the file and the column; the other runs finish under -k", () => {
    const raw = join(dir, "data/raw/run-0006.csv");
    const good = readFileSync(raw, "utf8");
    try {
      writeFileSync(raw, good.replace(/^channel,time_ns,adc\n/, "channel,time_ns,amplitude\n"));
      const r = buildJson(["-k"], { cwd: dir });
      assert.equal(r.code, 1, r.stderr);
      const failed = task(r.summary, "out/points/run-0006.csv");
      assert.equal(failed.status, "failed");
      assert.match(readFileSync(failed.logPath as string, "utf8"), /schema error: data\/raw\/run-0006\.csv: column 3 is 'amplitude', expected 'adc'/);
      assert.match(r.stderr, /data\/raw\/run-0006\.csv: column 3 is 'amplitude'/, "the failure's log is shown");
      assert.deepEqual(withStatus(r.summary, "cannot-run"), ["all", "out/clusters/run-0006.csv", "out/estimates/run-0006.json", "out/summary.csv"]);
      assert.ok(!existsSync(join(dir, "out/points/run-0006.csv")), "no half-written output survives");
      const others = ALL_RUNS.filter((x) => x !== "0006");
      for (const n of [...phase("points", others), ...phase("clusters", others), ...phase("estimates", others, "json")]) assert.equal(task(r.summary, n).status, "up-to-date", n);

      // A value of the wrong type: the column and the line are named.
      writeFileSync(raw, good.replace(/\n(\d+,[0-9.]+),(\d+)\n/, "\n$1,$2x\n"));
      const typed = buildJson(["-k"], { cwd: dir });
      assert.match(readFileSync(task(typed.summary, "out/points/run-0006.csv").logPath as string, "utf8"), /data\/raw\/run-0006\.csv: column 'adc', line 2: expected an integer, got '\d+x'/);
    } finally {
      writeFileSync(raw, good);
    }
    const mended = buildJson([], { cwd: dir });
    assert.equal(mended.code, 0, mended.stderr);
    // The cache still holds run 6's phases: nothing recomputes.
    assert.deepEqual(withStatus(mended.summary, "ran"), []);
  });

  test("the first phase switched off after an edit: none of it reruns, the later phases run from its artifacts; back on, it reruns and early cutoff spares what comes out the same", () => {
    const pointsBefore = ALL_RUNS.map((r) => read(dir, `out/points/run-${r}.csv`));
    const clusters7Before = read(dir, "out/clusters/run-0007.csv");
    // The first phase's script is fixed for run 7 (a noisy channel dropped): its points change, no other run's do.
    const points = join(dir, "scripts/points.awk");
    writeFileSync(points, readFileSync(points, "utf8").replace("  energy = ", "  if (run + 0 == 7 && $1 == 13) next # channel 13 was noisy in run 7\n  energy = "));
    // ...and the clustering window is narrowed (hits more than 4 ns apart are separate particles), so the later phases have work to do.
    const clusters = join(dir, "scripts/clusters.awk");
    writeFileSync(clusters, readFileSync(clusters, "utf8").replace("WINDOW = 25", "WINDOW = 4"));

    // status predicts the build: the points fresh (assumed), every clusters task stale, what follows waiting.
    const planned = flow(["status", "--assume-fresh", POINTS], { cwd: dir });
    assert.equal(planned.code, 1, planned.stderr);
    assert.match(planned.stdout, /^flow status: 25 tasks: 7 stale, 9 waiting, 0 cached, 9 fresh \(7 assumed\)\n/);
    for (const p of phase("points", ALL_RUNS)) assert.match(planned.stdout, new RegExp(`\\n  fresh +${p} +assumed fresh \\(--assume-fresh\\)`));
    for (const c of phase("clusters", ALL_RUNS)) assert.match(planned.stdout, new RegExp(`\\n  stale +${c} +input changed: scripts/clusters.awk`));

    const off = buildJson(["--assume-fresh", POINTS], { cwd: dir });
    assert.equal(off.code, 0, off.stderr);
    for (const p of phase("points", ALL_RUNS)) assert.deepEqual([task(off.summary, p).status, task(off.summary, p).reason], ["up-to-date", "assumed"], p);
    assert.ok(!didWork(off.summary).some((n) => n.startsWith("out/points/")), "nothing of the first phase reruns");
    assert.deepEqual(withStatus(off.summary, "ran").filter((n) => n.startsWith("out/clusters/")), phase("clusters", ALL_RUNS), "the later phases run");
    assert.match(off.stderr, /assumed fresh \(--assume-fresh\), not run or checked: 7 tasks/);
    assert.deepEqual(ALL_RUNS.map((r) => read(dir, `out/points/run-${r}.csv`)), pointsBefore, "the artifacts on disk are used as they are");
    // Run 7's clusters come from the points on disk, made by the old script: channel 13 is still in them.
    const clusters7Off = read(dir, "out/clusters/run-0007.csv");
    assert.notEqual(clusters7Off, clusters7Before, "reclustered with the narrower window");
    // The assumed tasks recorded nothing: without the flag they are stale (their script changed), and status says so.
    const again = flow(["status", "--assume-fresh", POINTS], { cwd: dir });
    assert.equal(again.code, 0, again.stdout);
    const unflagged = flow(["status"], { cwd: dir });
    for (const p of phase("points", ALL_RUNS)) assert.match(unflagged.stdout, new RegExp(`\\n  stale +${p} +input changed: scripts/points.awk`));

    // An assumed task whose output is not on disk cannot be assumed: it fails, saying so.
    rmSync(join(dir, "out/points/run-0003.csv"));
    const missing = buildJson(["-k", "--assume-fresh", POINTS], { cwd: dir });
    assert.equal(missing.code, 1);
    const m = task(missing.summary, "out/points/run-0003.csv");
    assert.equal(m.status, "failed");
    assert.match(m.message ?? "", /'out\/points\/run-0003\.csv' is assumed fresh \(--assume-fresh\), but its output 'out\/points\/run-0003\.csv' is missing/);
    assert.match(missing.stderr, /FAILED +out\/points\/run-0003\.csv: .*is missing/);
    assert.equal(task(missing.summary, "out/clusters/run-0003.csv").status, "cannot-run");
    assert.deepEqual(didWork(missing.summary), []);

    // Switched back on: every points task reruns (its script changed); only run 7's come out other,
    // so only run 7's later phases rerun, and the summary. The others' clusters were filed, during
    // the assumed build, under the bytes they read, which are the bytes the new script makes.
    const on = buildJson([], { cwd: dir });
    assert.equal(on.code, 0, on.stderr);
    assert.deepEqual(withStatus(on.summary, "ran"), [...phase("points", ALL_RUNS), "out/clusters/run-0007.csv", "out/estimates/run-0007.json", "out/summary.csv"].sort());
    assert.deepEqual(
      ALL_RUNS.filter((r) => r !== "0007").map((r) => read(dir, `out/points/run-${r}.csv`)),
      pointsBefore.filter((_, i) => ALL_RUNS[i] !== "0007"),
    );
    assert.notEqual(read(dir, "out/clusters/run-0007.csv"), clusters7Off);
    const noop = buildJson([], { cwd: dir });
    assert.deepEqual(didWork(noop.summary), []);
  });
});
