// The differential correctness test (issue 7), as part of `npm test`:
// every regression fixture under test/correctness/regressions/ replays
// clean, and 30 random sequences of 2 steps (every other one with the watching server) (projects of 4-10 tasks) find
// nothing. Every step of every sequence runs flow status (before each
// incremental build), flow build and make; one sequence in five also builds
// in a fresh directory (clean flow build), one in a fresh checkout sharing the
// cache, one runs status before its first build (README.md, "In npm test").
// A step costs two Node start-ups (~0.35 CPU-s each) and make: the 50
// sequences took 299 s at load 7-8 and 417 s at load 10-12 on the shared
// 2-core machine (318-371 CPU-s; the old 5 sequences of 8 steps: 92 CPU-s,
// 102 s), an estimated 90-120 s quiet. With 3 steps they took 275 s and
// 298 s of two whole `npm test` runs (load 4-6) on 2026-12-02, which put the
// suite past 10 minutes: 2 steps keep 50 sequences (each still plans and
// checks an incremental build). `npm run test:correctness -- --runs
// 1000` is the long run (10 steps, 5-15 tasks, the clean build at every
// step); FLOW_CORRECTNESS_RUNS / _STEPS / _JOBS change these.
//
// The seeds are random on every run (FLOW_CORRECTNESS_SEED=N fixes them);
// a failure is printed at once with its seed and the command that replays
// that sequence exactly, shrinks it and keeps it as a fixture.
import { existsSync } from "node:fs";
import assert from "node:assert/strict";
import { test } from "node:test";
import { defaultTmpRoot, flowBin, regressionsDir } from "./paths.js";
import { formatCounts, reproduceCommand, runMany } from "./runner.js";
import { loadFixtures } from "./shrink.js";
import { runSequence, type RunOptions } from "./sequence.js";

// 30, not 50, since half of them build with the watching server (each starts and stops one) and the
// build-state tests joined the suite: it took 645-737 s with 40. The long runs: npm run test:correctness.
const RUNS = Number(process.env["FLOW_CORRECTNESS_RUNS"] ?? 30);
const STEPS = Number(process.env["FLOW_CORRECTNESS_STEPS"] ?? 2);
const JOBS = Number(process.env["FLOW_CORRECTNESS_JOBS"] ?? 2);
const BASE_SEED = Number(process.env["FLOW_CORRECTNESS_SEED"] ?? Math.floor(Math.random() * 2 ** 31));
const GEN = { minTasks: 4, maxTasks: 10 };
const EXTRA_EVERY = 5;

const opts: RunOptions = {
  flowBin,
  tmpRoot: defaultTmpRoot,
  cleanFlow: "never",
  checkout: "never",
  status: "incremental",
  timeoutMs: 120_000,
  keepOnFailure: false,
  log: (line) => console.log(line),
  verbose: false,
  exclude: new Set(),
};

// Every sequence checks status against the build and the build against make
// at every step, and its step 0 is a clean build. The builds in other
// directories at the last step (a clean flow build, same keys as the
// workspace; a fresh checkout sharing the cache, everything restored) cost a
// build each and check one thing more per sequence: some sequences do them
// (`npm run test:correctness` does the clean build at every step).
const optsFor = (_seed: number, k: number): RunOptions => ({
  ...opts,
  cleanFlow: k % EXTRA_EVERY === 0 ? "last" : "never",
  checkout: k % EXTRA_EVERY === 2 ? "last" : "never",
  status: k % EXTRA_EVERY === 1 ? "every" : "incremental",
  // Half the sequences build with the watching server (the state checks only what it saw change).
  server: k % 2 === 1,
});

test("the flow binary is built", () => {
  assert.ok(existsSync(flowBin), `${flowBin} is missing: run npm run build`);
});

const fixtures = loadFixtures(regressionsDir);
for (const fx of fixtures) {
  test(`regression ${fx.name} replays clean`, { timeout: 300_000 }, async () => {
    const r = await runSequence(structuredClone(fx.c), "replay", { ...opts, cleanFlow: "last", checkout: "last", status: "every" });
    if (r.failure !== null) {
      assert.fail(`${fx.dir} fails again (${r.failure.kind}) at step ${r.failure.step}:\n${r.failure.message}`);
    }
  });
}

test(`${RUNS} random sequences of ${STEPS} steps (seeds ${BASE_SEED}..${BASE_SEED + RUNS - 1})`, { timeout: 900_000 }, async () => {
  const seeds = Array.from({ length: RUNS }, (_, k) => (BASE_SEED + k) >>> 0);
  const failures: string[] = [];
  const totals: Record<string, number> = {};
  const start = Date.now();
  const byServer = { on: { run: 0, clean: 0 }, off: { run: 0, clean: 0 } };
  await runMany(seeds, STEPS, JOBS, GEN, optsFor, (seed, r) => {
    for (const [k, v] of Object.entries(r.counts)) totals[k] = (totals[k] ?? 0) + v;
    const side = optsFor(seed, seeds.indexOf(seed)).server === true ? byServer.on : byServer.off;
    side.run++;
    if (r.failure === null) side.clean++;
    if (r.failure === null) return;
    const f = r.failure;
    const report =
      `seed ${seed}: ${f.kind} at step ${f.step}\n${f.message}\n` +
      `  reproduce and shrink: ${reproduceCommand(seed, STEPS, GEN, optsFor(seed, seeds.indexOf(seed)))}`;
    // Printed at once too: a run cut short by the test's timeout still names its failures.
    console.log(`correctness: ${report}`);
    failures.push(report);
  });
  console.log(
    `correctness: ${RUNS - failures.length}/${RUNS} sequences clean in ${((Date.now() - start) / 1000).toFixed(0)}s; ` +
      `with the watching server ${byServer.on.clean}/${byServer.on.run} clean, without ${byServer.off.clean}/${byServer.off.run}; ` +
      `task statuses: ${formatCounts(totals)}`,
  );
  if (failures.length > 0) assert.fail(`${failures.length} of ${RUNS} sequences failed:\n${failures.join("\n\n")}`);
});
