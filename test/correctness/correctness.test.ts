// The differential correctness test (issue 7), as part of `npm test`:
// every regression fixture under test/correctness/regressions/ replays
// clean, and 5 random sequences of 8 steps find nothing. Few: each step
// runs flow status, flow build and make (about 1 s unloaded, 5-7 s on a
// loaded 2-core machine); `npm run test:correctness -- --runs 1000` is the
// long run, and FLOW_CORRECTNESS_RUNS / FLOW_CORRECTNESS_STEPS raise these.
//
// The seeds are random on every run (FLOW_CORRECTNESS_SEED=N fixes them)
// and printed with any failure; reproduce, shrink and keep a failure with
//   npm run test:correctness -- --runs 1 --seed SEED --steps 8
import { existsSync } from "node:fs";
import assert from "node:assert/strict";
import { test } from "node:test";
import { defaultTmpRoot, flowBin, regressionsDir } from "./paths.js";
import { formatCounts, runMany } from "./runner.js";
import { loadFixtures } from "./shrink.js";
import { runSequence, type Failure, type RunOptions } from "./sequence.js";

const RUNS = Number(process.env["FLOW_CORRECTNESS_RUNS"] ?? 5);
const STEPS = Number(process.env["FLOW_CORRECTNESS_STEPS"] ?? 8);
const JOBS = Number(process.env["FLOW_CORRECTNESS_JOBS"] ?? 2);
const BASE_SEED = Number(process.env["FLOW_CORRECTNESS_SEED"] ?? Math.floor(Math.random() * 2 ** 31));

const opts: RunOptions = {
  flowBin,
  tmpRoot: defaultTmpRoot,
  // A clean flow build in a fresh directory (fresh cache) and one in a fresh
  // checkout sharing the cache, at the last step of each sequence (the first
  // build of a sequence is a clean build already). `npm run
  // test:correctness` does the clean build at every step.
  cleanFlow: "last",
  checkout: "last",
  timeoutMs: 120_000,
  keepOnFailure: false,
  log: (line) => console.log(line),
  verbose: false,
  exclude: new Set(),
};

test("the flow binary is built", () => {
  assert.ok(existsSync(flowBin), `${flowBin} is missing: run npm run build`);
});

const fixtures = loadFixtures(regressionsDir);
for (const fx of fixtures) {
  test(`regression ${fx.name} replays clean`, { timeout: 300_000 }, async () => {
    const r = await runSequence(structuredClone(fx.c), "replay", opts);
    if (r.failure !== null) {
      assert.fail(`${fx.dir} fails again (${r.failure.kind}) at step ${r.failure.step}:\n${r.failure.message}`);
    }
  });
}

test(`${RUNS} random sequences of ${STEPS} steps (seeds ${BASE_SEED}..${BASE_SEED + RUNS - 1})`, { timeout: 900_000 }, async () => {
  const seeds = Array.from({ length: RUNS }, (_, k) => (BASE_SEED + k) >>> 0);
  const failures: Array<{ seed: number; failure: Failure }> = [];
  const totals: Record<string, number> = {};
  await runMany(seeds, STEPS, JOBS, { minTasks: 5, maxTasks: 15 }, opts, (seed, r) => {
    for (const [k, v] of Object.entries(r.counts)) totals[k] = (totals[k] ?? 0) + v;
    if (r.failure !== null) failures.push({ seed, failure: r.failure });
  });
  console.log(`correctness: ${RUNS - failures.length}/${RUNS} sequences clean; task statuses: ${formatCounts(totals)}`);
  const report = failures
    .map(
      ({ seed, failure }) =>
        `seed ${seed}: ${failure.kind} at step ${failure.step}\n${failure.message}\n` +
        `  reproduce and shrink: npm run test:correctness -- --runs 1 --seed ${seed} --steps ${STEPS}`,
    )
    .join("\n\n");
  if (failures.length > 0) assert.fail(`${failures.length} of ${RUNS} sequences failed:\n${report}`);
});
