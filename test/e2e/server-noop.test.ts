// A no-op answered by the watching server (packages/cli/src/server/
// settled-noops.ts, thin-client.ts): after a build that ran nothing, the same
// build again is answered by the server before flow is loaded, and recorded
// as the full path records it. Each thing that may make that build do
// something else must send it back to the full path: an edit, a new file,
// the environment, the command line, a `$(shell)`, a file outside the root,
// a replaced cache, a held lock, a dead or stopped server.
import assert from "node:assert/strict";
import { appendFileSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { PIPELINE, RACY } from "./pipeline-fixture.js";
import { buildJson, cleanup, didWork, flow, tempDir, writeProject, type JsonSummary } from "./support.js";

const SERVER = { FLOW_SERVER: "1" };


interface Noops {
  answered: number;
  declined: number;
  settled: number;
}

function noops(dir: string): Noops {
  const r = flow(["server", "status", "--json"], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout) as { running: boolean; noops?: Noops };
  assert.ok(s.running && s.noops !== undefined, r.stdout);
  return s.noops;
}

function stateOf(s: JsonSummary): { held: boolean; server?: string; statted?: number; vouched?: number } {
  return (s as unknown as { state: { held: boolean; server?: string; statted?: number; vouched?: number } }).state;
}

/**
 * A project built, then built again past the racy window by the full path (so that its state
 * trusts every stat and no later full build rewrites it), then once more: that no-op settles.
 */
async function settledProject(files: Record<string, string>, args: string[] = []): Promise<string> {
  const dir = writeProject(files);
  const first = flow(["build", ...args], { cwd: dir, env: SERVER });
  assert.equal(first.code, 0, first.stderr);
  flow(["build", ...args], { cwd: dir, env: SERVER });
  await RACY();
  flow(["build", ...args], { cwd: dir, env: { ...SERVER, FLOW_SERVER_NOOP: "off" } });
  const settle = flow(["build", ...args], { cwd: dir, env: SERVER });
  assert.equal(settle.code, 0, settle.stderr);
  return dir;
}

function done(dir: string): void {
  flow(["server", "stop"], { cwd: dir });
  cleanup(dir);
}

describe("a no-op answered by the watching server", { concurrency: 3 }, () => {
  test("the same build again is answered by the server: same output, history and cache statistics recorded", async () => {
    const dir = await settledProject(PIPELINE);
    try {
      const before = noops(dir);
      assert.ok(before.settled >= 1, "the last build settled");
      const runsBefore = readdirSync(join(dir, ".flow", "runs")).filter((n) => /^[0-9]+$/.test(n)).length;
      const statsBefore = JSON.parse(readFileSync(join(dir, ".flow", "stats.json"), "utf8")) as { totals: { builds: number; hits: number } };
      const r = flow(["build"], { cwd: dir, env: SERVER });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^flow: done: 4 up to date \([0-9]+\.[0-9]{2}s\)\n$/);
      assert.equal(r.stderr, "");
      const after = noops(dir);
      assert.equal(after.answered, before.answered + 1, "the server answered it");
      const runs = readdirSync(join(dir, ".flow", "runs")).filter((n) => /^[0-9]+$/.test(n));
      assert.equal(runs.length, runsBefore + 1, "the run is in the history");
      const listing = flow(["runs"], { cwd: dir });
      assert.match(listing.stdout, /ok/);
      const shown = flow(["runs", "show", String(Math.max(...runs.map(Number)))], { cwd: dir });
      assert.equal(shown.code, 0, shown.stderr);
      assert.match(shown.stdout, /out\/all\.txt/);
      const stats = JSON.parse(readFileSync(join(dir, ".flow", "stats.json"), "utf8")) as { totals: { builds: number; hits: number } };
      assert.equal(stats.totals.builds, statsBefore.totals.builds + 1);
      assert.equal(stats.totals.hits, statsBefore.totals.hits + 3, "three tasks with a recipe: three hits, as the full path counts them");
      // Without the server's answer (FLOW_SERVER_NOOP=off), the full path prints the same.
      const full = flow(["build"], { cwd: dir, env: { ...SERVER, FLOW_SERVER_NOOP: "off" } });
      assert.match(full.stdout, /^flow: done: 4 up to date \([0-9]+\.[0-9]{2}s\)\n$/);
    } finally {
      done(dir);
    }
  });

  test("--json: the document the full path prints, with durations 0 and the state answered by the server", async () => {
    const dir = await settledProject(PIPELINE, ["--json"]);
    try {
      const full = buildJson([], { cwd: dir, env: { ...SERVER, FLOW_SERVER_NOOP: "off" } });
      // FLOW_SERVER_NOOP=off is another environment: settle the plain one again.
      buildJson([], { cwd: dir, env: SERVER });
      const n = noops(dir).answered;
      const thin = buildJson([], { cwd: dir, env: SERVER });
      assert.equal(noops(dir).answered, n + 1);
      assert.deepEqual(stateOf(thin.summary), { held: true, vouched: 4, statted: 0, server: "noop" });
      const strip = (s: JsonSummary) => s.tasks.map((t) => ({ ...t, durationMs: 0 }));
      assert.deepEqual(strip(thin.summary), strip(full.summary));
      assert.deepEqual(didWork(thin.summary), []);
      assert.match(thin.stderr, /^flow: done: 4 up to date/);
    } finally {
      done(dir);
    }
  });

  test("an edited input, a new wildcard match, a deleted output: the full path runs what they need", async () => {
    const dir = await settledProject(PIPELINE, ["--json"]);
    try {
      appendFileSync(join(dir, "src/a.txt"), "more\n");
      const edited = buildJson([], { cwd: dir, env: SERVER });
      assert.deepEqual(didWork(edited.summary), ["out/a.up", "out/all.txt"]);
      await RACY();
      buildJson([], { cwd: dir, env: SERVER }); // settles again
      writeFileSync(join(dir, "src/c.txt"), "gamma\n");
      const added = buildJson([], { cwd: dir, env: SERVER });
      assert.deepEqual(didWork(added.summary), ["out/all.txt", "out/c.up"]);
      assert.equal(readFileSync(join(dir, "out/all.txt"), "utf8"), "ALPHA\nMORE\nBETA\nGAMMA\n");
      await RACY();
      buildJson([], { cwd: dir, env: SERVER });
      rmSync(join(dir, "out/b.up"));
      const deleted = buildJson([], { cwd: dir, env: SERVER });
      assert.equal(deleted.summary.tasks.find((t) => t.name === "out/b.up")?.status, "restored");
      assert.ok(noops(dir).declined >= 3, "each of the three was declined by the server");
    } finally {
      done(dir);
    }
  });

  test("another environment or command line is not answered; the settled one still is", async () => {
    const dir = await settledProject(PIPELINE);
    try {
      const n = noops(dir);
      const other = flow(["build"], { cwd: dir, env: { ...SERVER, SOME_VARIABLE: "x" } });
      assert.equal(other.code, 0, other.stderr);
      const targets = flow(["build", "out/a.up"], { cwd: dir, env: SERVER });
      assert.equal(targets.code, 0, targets.stderr);
      const m = noops(dir);
      assert.equal(m.answered, n.answered, "neither was answered by the server");
      assert.equal(m.declined, n.declined + 2);
      flow(["build"], { cwd: dir, env: SERVER });
      assert.equal(noops(dir).answered, n.answered + 1, "the settled build still is");
    } finally {
      done(dir);
    }
  });

  test("a $(shell) in the Flowfile, or an input outside the root: never answered by the server", async () => {
    const outside = tempDir("flow-noop-outside-");
    writeFileSync(join(outside, "data.txt"), "one\n");
    const shellDir = await settledProject({ Flowfile: "V := $(shell cat version.txt)\nout.txt:\n\techo $(V) > $@\n", "version.txt": "v1\n" });
    const outsideDir = await settledProject({ Flowfile: `out.txt: ${join(outside, "data.txt")}\n\tcat $< > $@\n` });
    try {
      for (const dir of [shellDir, outsideDir]) {
        assert.equal(noops(dir).settled, 0);
        flow(["build"], { cwd: dir, env: SERVER });
        assert.equal(noops(dir).answered, 0);
      }
      // The file outside changes with no event the server sees: the full path sees it.
      writeFileSync(join(outside, "data.txt"), "two\n");
      const r = flow(["build"], { cwd: outsideDir, env: SERVER });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(readFileSync(join(outsideDir, "out.txt"), "utf8"), "two\n");
    } finally {
      done(shellDir);
      done(outsideDir);
      cleanup(outside);
    }
  });

  test("a replaced cache, a held lock, a stopped or killed server: the full path decides", async () => {
    const dir = await settledProject(PIPELINE, ["--json", "--no-wait"]);
    try {
      // A build holds the workspace lock (this test process, alive): not answered; the full path says it is locked.
      writeFileSync(join(dir, ".flow", "lock"), `${JSON.stringify({ pid: process.pid, host: (await import("node:os")).hostname(), startedAt: new Date().toISOString(), command: "flow build", token: "t" })}\n`);
      const locked = flow(["build", "--json", "--no-wait"], { cwd: dir, env: SERVER });
      assert.equal(locked.code, 1, locked.stdout + locked.stderr);
      assert.match(locked.stderr, /locked/);
      rmSync(join(dir, ".flow", "lock"));
      const n = noops(dir).answered;
      assert.equal(buildJson(["--no-wait"], { cwd: dir, env: SERVER }).code, 0);
      assert.equal(noops(dir).answered, n + 1, "answered once the lock is free");
      // The action database replaced (deleted): the state vouches for nothing now.
      rmSync(join(dir, ".flow", "db"), { recursive: true, force: true });
      const fresh = buildJson(["--no-wait"], { cwd: dir, env: SERVER });
      assert.equal(fresh.code, 0, fresh.stderr);
      assert.notEqual(stateOf(fresh.summary).server, "noop");
      assert.equal(noops(dir).answered, n + 1);
      // A stopped server may have missed events (its queue can overflow): not answered.
      await RACY();
      buildJson(["--no-wait"], { cwd: dir, env: SERVER });
      const m = noops(dir).answered;
      buildJson(["--no-wait"], { cwd: dir, env: SERVER });
      assert.equal(noops(dir).answered, m + 1, "settled again, and answered");
      const pid = (JSON.parse(flow(["server", "status", "--json"], { cwd: dir }).stdout) as { pid: number }).pid;
      process.kill(pid, "SIGSTOP");
      appendFileSync(join(dir, "src/b.txt"), "stopped\n");
      process.kill(pid, "SIGCONT");
      const after = buildJson(["--no-wait"], { cwd: dir, env: SERVER });
      assert.deepEqual(didWork(after.summary), ["out/all.txt", "out/b.up"]);
      // A killed server: the next build takes the full path, and is right.
      process.kill(pid, "SIGKILL");
      appendFileSync(join(dir, "src/a.txt"), "killed\n");
      const killed = buildJson(["--no-wait"], { cwd: dir, env: SERVER });
      assert.deepEqual(didWork(killed.summary), ["out/a.up", "out/all.txt"]);
      assert.equal(readFileSync(join(dir, "out/all.txt"), "utf8"), "ALPHA\nKILLED\nBETA\nSTOPPED\n");
    } finally {
      done(dir);
    }
  });
});
