// Soak (RELIABILITY 4, 21, 22): random damage to the LMDB file (whole pages
// or short runs of garbage) and to the blob store (corrupted, truncated),
// and random SIGKILLs during builds, each followed by a build that must exit
// 0 with the outputs of a clean build. Counts first builds that failed,
// crash loops (the build after that failed too) and wrong outputs; all must
// be 0. Slow: runs only with FLOW_SOAK=1 (FLOW_SOAK_ROUNDS=N, default 200;
// FLOW_SOAK_SEED to replay).
import assert from "node:assert/strict";
import { chmodSync, lstatSync, readdirSync, rmSync, truncateSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { cleanup, flow, flowAsync } from "../e2e/support.js";
import { fileSize, manyTasks, outputs, overwrite, pseudoRandom } from "./support.js";

const enabled = process.env["FLOW_SOAK"] === "1";
const rounds = Number(process.env["FLOW_SOAK_ROUNDS"] ?? 200);
const seed = Number(process.env["FLOW_SOAK_SEED"] ?? Date.now() % 100000);

test("RELIABILITY 22 soak: random LMDB and blob damage and SIGKILLs, each followed by a good build", { skip: enabled ? false : "slow: set FLOW_SOAK=1 (and FLOW_SOAK_ROUNDS=N) to run it", timeout: 6 * 3600_000 }, async () => {
  const dir = manyTasks(30);
  let state = seed;
  const rand = (n: number): number => {
    // An LCG's low bits cycle fast: use the high ones.
    state = (state * 1103515245 + 12345) % 2147483648;
    return Math.floor(state / 65536) % n;
  };
  const counts = { rounds: 0, lmdbPage: 0, lmdbBytes: 0, blob: 0, kill: 0, firstBuildFailed: 0, crashLoops: 0, wrongOutputs: 0, setAside: 0 };
  const failures: string[] = [];
  const started = Date.now();
  try {
    assert.equal(flow(["build"], { cwd: dir }).code, 0);
    const clean = outputs(dir);
    const dataFile = join(dir, ".flow", "db", "data.mdb");
    for (let round = 0; round < rounds; round++) {
      counts.rounds++;
      const kind = rand(4);
      let what: string;
      if (kind === 0) {
        const pages = Math.floor(fileSize(dataFile) / 4096);
        const page = rand(pages);
        overwrite(dataFile, page * 4096, pseudoRandom(seed + round, 4096));
        counts.lmdbPage++;
        what = `garbage over page ${page}`;
      } else if (kind === 1) {
        const at = rand(fileSize(dataFile));
        const len = 1 + rand(256);
        overwrite(dataFile, at, pseudoRandom(seed + round, Math.min(len, fileSize(dataFile) - at)));
        counts.lmdbBytes++;
        what = `${len} bytes of garbage at ${at}`;
      } else if (kind === 2) {
        const root = join(dir, ".flow", "blobs");
        const blobs = readdirSync(root).flatMap((s) => readdirSync(join(root, s)).map((n) => join(root, s, n))).filter((p) => lstatSync(p).isFile());
        const victim = blobs[rand(blobs.length)] as string;
        chmodSync(victim, 0o644);
        if (rand(2) === 0) overwrite(victim, 0, Buffer.from("XX"));
        else truncateSync(victim, rand(Math.max(1, fileSize(victim))));
        rmSync(join(dir, "out"), { recursive: true, force: true });
        counts.blob++;
        what = `blob ${victim} damaged`;
      } else {
        rmSync(join(dir, "out"), { recursive: true, force: true });
        const { child, done } = flowAsync(["build"], { cwd: dir });
        await sleep(50 + rand(1500));
        child.kill("SIGKILL");
        await done;
        counts.kill++;
        what = "SIGKILL during a build";
      }
      const first = flow(["build"], { cwd: dir });
      if (/CACHE_CORRUPT_SET_ASIDE/.test(first.stderr + first.stdout)) counts.setAside++; // warnings render on stdout in a terminal-less build
      if (first.code !== 0) {
        counts.firstBuildFailed++;
        failures.push(`round ${round} (${what}): exit ${first.code}: ${first.stderr.slice(-400)}`);
        const second = flow(["build"], { cwd: dir });
        if (second.code !== 0) counts.crashLoops++;
      }
      if (round % 10 === 9) console.log(`soak (seed ${seed}) after ${round + 1} rounds, ${Math.round((Date.now() - started) / 1000)} s: ${JSON.stringify(counts)}`);
      if (JSON.stringify(outputs(dir)) !== JSON.stringify(clean)) {
        counts.wrongOutputs++;
        failures.push(`round ${round} (${what}): wrong outputs`);
        rmSync(join(dir, "out"), { recursive: true, force: true });
        flow(["build"], { cwd: dir });
      }
    }
  } finally {
    cleanup(dir);
  }
  console.log(`soak (seed ${seed}): ${JSON.stringify(counts)} in ${Math.round((Date.now() - started) / 1000)} s`);
  assert.deepEqual(failures, []);
  assert.equal(counts.crashLoops + counts.wrongOutputs + counts.firstBuildFailed, 0);
});
