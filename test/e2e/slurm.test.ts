// flow build --executor slurm against a real one-node Slurm cluster
// (slurm-cluster.ts), one for the whole file: the same outputs and keys as a
// local build, job arrays (sbatch calls counted through a wrapper first on
// PATH), failures mapped to reasons, Ctrl-C and a killed flow leaving no job
// behind. The fan-out has 1,000 tasks (about 30 s under Slurm on 2 cores,
// docs/cluster.md); FLOW_SLURM_FANOUT=N makes it N.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { startSlurmCluster, type SlurmCluster } from "./slurm-cluster.js";
import { buildJson, cleanup, copyRecipe, flowAsync, tempDir, withStatus, writeProject, type JsonSummary } from "./support.js";

// Needs no cluster: runs wherever the tests run.
test("--executor slurm where sbatch cannot be run: each task fails with submit-error at once, saying why", async () => {
  const dir = writeProject({ Flowfile: "a.txt:\n\techo a > $@\n" });
  try {
    const t0 = Date.now();
    const r = await flowAsync(["build", "--json", "--executor", "slurm"], { cwd: dir, env: { PATH: join(dir, "no-such-dir") } }).done;
    assert.equal(r.code, 1, r.stderr);
    const a = (JSON.parse(r.stdout) as JsonSummary).tasks.find((t) => t.name === "a.txt");
    assert.equal(a?.reason, "submit-error");
    assert.match(a?.message ?? "", /cannot run sbatch .*is Slurm installed and sbatch on PATH/);
    assert.ok(Date.now() - t0 < 10_000, "not retried as if the controller were busy");
  } finally {
    cleanup(dir);
  }
});

// With accounting (slurmdbd, MariaDB) when they start; the cluster starts without it otherwise, and its test skips.
const started = await startSlurmCluster({ accounting: true });
const skip = started.ok ? false : `no Slurm cluster could be started here: ${started.why}`;
if (!started.ok) console.log(`# slurm tests skipped: ${started.why}`);

describe("flow build --executor slurm", { skip }, () => {
  const cluster = (started as { cluster: SlurmCluster }).cluster;
  // An sbatch that writes a line per call, then runs the real one.
  const wrapDir = tempDir("flow-sbatch-");
  const sbatchLog = join(wrapDir, "calls");
  writeFileSync(join(wrapDir, "sbatch"), `#!/bin/sh\necho "$*" >> ${sbatchLog}\nexec /usr/bin/sbatch "$@"\n`);
  chmodSync(join(wrapDir, "sbatch"), 0o755);
  writeFileSync(sbatchLog, "");
  const env: NodeJS.ProcessEnv = { ...cluster?.env, PATH: `${wrapDir}:${process.env["PATH"] ?? ""}`, FLOW_SLURM_POLL_INTERVAL: "0.5" };
  const sbatchCalls = () => readFileSync(sbatchLog, "utf8").split("\n").filter((l) => l !== "").length;
  const keys = (s: JsonSummary) => new Map(s.tasks.map((t) => [t.name, t.key]));
  const build = async (args: string[], cwd: string) => {
    const { done } = flowAsync(["build", "--json", ...args], { cwd, env });
    const r = await done;
    return { ...r, summary: JSON.parse(r.stdout) as JsonSummary };
  };

  after(() => {
    cluster?.stop();
    cleanup(wrapDir);
  });

  test("c-project: same outputs and keys as a local build; the second build submits nothing", async () => {
    const local = copyRecipe("c-project");
    const remote = copyRecipe("c-project");
    try {
      const l = buildJson([], { cwd: local });
      const calls0 = sbatchCalls();
      const s = await build(["--executor", "slurm"], remote);
      assert.equal(s.code, 0, s.stderr);
      assert.ok(sbatchCalls() > calls0, "it went through sbatch");
      assert.deepEqual(keys(s.summary), keys(l.summary));
      // Each task that ran names its job and Slurm's run time, in --json and in the history.
      const ran = s.summary.tasks.filter((t) => t.status === "ran") as (JsonSummary["tasks"][number] & { job?: { id: string; elapsedSec?: number } })[];
      assert.ok(ran.length >= 4);
      for (const t of ran) {
        assert.match(t.job?.id ?? "", /^\d+_\d+$/, t.name);
        assert.equal(typeof t.job?.elapsedSec, "number", t.name);
      }
      const history = JSON.parse((await flowAsync(["runs", "show", "--json"], { cwd: remote, env }).done).stdout) as { tasks: { name: string; job?: { id: string } }[] };
      assert.equal(history.tasks.find((t) => t.name === "build/app")?.job?.id, ran.find((t) => t.name === "build/app")?.job?.id);
      for (const f of ["build/app", "build/main.o", "build/greet.o", "build/words.o"]) assert.ok(readFileSync(join(remote, f)).equals(readFileSync(join(local, f))), `${f}: same bytes`);
      const calls1 = sbatchCalls();
      const again = await build(["--executor", "slurm"], remote);
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(withStatus(again.summary, "ran"), []);
      assert.equal(sbatchCalls(), calls1, "no sbatch call");
    } finally {
      cleanup(local);
      cleanup(remote);
    }
  });

  test("a 1,000-task fan-out goes in as job arrays, with the same outputs and keys as a local -j2 build", async (t) => {
    const n = Number(process.env["FLOW_SLURM_FANOUT"] ?? "1000");
    const files = { Flowfile: [`N := $(shell seq 1 ${n})`, ".PHONY: all", "all: out/total", "out/total: $(foreach i,$(N),out/$(i).txt)", "\tcat $^ | wc -l > $@", "out/%.txt:", "\t@mkdir -p out && echo $* > $@", ""].join("\n") };
    const local = writeProject(files);
    // Resources are no part of a key: the cluster's Flowfile asks for some, the keys stay the local build's.
    const remote = writeProject({ Flowfile: `${files.Flowfile}out/%.txt: .SLURM := --mem=100M --time=5\n` });
    try {
      const t0 = Date.now();
      const l = await build(["-j2"], local);
      const localMs = Date.now() - t0;
      assert.equal(l.code, 0, l.stderr);
      const calls0 = sbatchCalls();
      const t1 = Date.now();
      const s = await build(["--executor", "slurm"], remote);
      const slurmMs = Date.now() - t1;
      assert.equal(s.code, 0, s.stderr);
      const calls = sbatchCalls() - calls0;
      // One array per 1,000 ready tasks (MaxArraySize 1001), one job for out/total, and room for a split arrival.
      assert.ok(calls <= Math.ceil(n / 1000) + 2, `${calls} sbatch calls for ${n} tasks`);
      assert.deepEqual(keys(s.summary), keys(l.summary));
      assert.equal(readFileSync(join(remote, "out/total"), "utf8"), readFileSync(join(local, "out/total"), "utf8"));
      assert.equal(readFileSync(join(remote, `out/${n}.txt`), "utf8"), `${n}\n`);
      t.diagnostic(`${n} tasks: slurm ${slurmMs} ms with ${calls} sbatch calls; local -j2 ${localMs} ms`);
    } finally {
      cleanup(local);
      cleanup(remote);
    }
  });

  test("failures: an exit code, a signal and OUT_OF_MEMORY each say so; descendants cannot run", async () => {
    const dir = writeProject({
      Flowfile: [
        ".PHONY: all",
        "all: child.txt sig.txt oom.txt ok.txt",
        "bad.txt:",
        "\techo about to fail; exit 3",
        "child.txt: bad.txt",
        "\tcp $< $@",
        "sig.txt:",
        "\tkill -9 $$$$",
        "oom.txt: .SLURM := --mem=50M",
        "oom.txt:",
        "\thead -c 300M /dev/zero | tail > /dev/null; echo survived > $@",
        "ok.txt:",
        "\techo fine > $@",
        "",
      ].join("\n"),
    });
    try {
      const r = await build(["--executor", "slurm", "-k"], dir);
      assert.equal(r.code, 1, r.stderr);
      const task = (name: string) => r.summary.tasks.find((x) => x.name === name) as JsonSummary["tasks"][number] & { exitCode?: number; logPath?: string };
      assert.equal(task("bad.txt").reason, "exit-code");
      assert.equal(task("bad.txt").exitCode, 3);
      assert.match(readFileSync(task("bad.txt").logPath ?? "no log", "utf8"), /about to fail/, "the job's output is the task's log");
      assert.equal(task("child.txt").status, "cannot-run");
      assert.match(task("sig.txt").message ?? "", /killed by SIGKILL/);
      if (existsSync("/sys/fs/cgroup/memory/memory.limit_in_bytes")) {
        assert.equal(task("oom.txt").reason, "out-of-memory", JSON.stringify(task("oom.txt")));
        assert.match(task("oom.txt").message ?? "", /OUT_OF_MEMORY/);
        // The run history keeps the reason: `flow runs show` says it.
        const shown = await flowAsync(["runs", "show"], { cwd: dir, env }).done;
        assert.match(shown.stdout, /^failed \(out-of-memory\) .* oom\.txt$/m, shown.stdout);
      }
      assert.equal(task("ok.txt").status, "ran");
    } finally {
      cleanup(dir);
    }
  });

  test("sacct's elapsed time, CPU time and peak memory go into --json and the run history", { skip: cluster?.noAccounting !== undefined ? `no accounting on the test cluster: ${cluster?.noAccounting ?? ""}` : false }, async () => {
    // ~100 MB written (resident, not just allocated), then ~1.2 s of CPU while it is held: sampled at JobAcctGatherFrequency=1.
    const dir = writeProject({ Flowfile: "heavy.txt: .SLURM := --mem=400M\nheavy.txt:\n\tperl -e '$$s = \"x\" x (100 * 1024 * 1024); my $$t = (times)[0]; 1 while (times)[0] - $$t < 1.2; print length($$s), \"\\n\"' > $@\n" });
    try {
      const r = await build(["--executor", "slurm"], dir);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(readFileSync(join(dir, "heavy.txt"), "utf8"), `${100 * 1024 * 1024}\n`);
      type Job = { id: string; elapsedSec?: number | null; cpuSec?: number | null; maxRssBytes?: number | null };
      const json = (r.summary.tasks.find((t) => t.name === "heavy.txt") as { job?: Job } | undefined)?.job;
      const history = JSON.parse((await flowAsync(["runs", "show", "--json"], { cwd: dir, env }).done).stdout) as { tasks: { name: string; job?: Job }[] };
      const recorded = history.tasks.find((t) => t.name === "heavy.txt")?.job;
      for (const job of [json, recorded]) {
        assert.ok((job?.elapsedSec ?? -1) >= 1, JSON.stringify(job));
        assert.ok((job?.cpuSec ?? 0) > 0.5, `CPU time: ${JSON.stringify(job)}`);
        assert.ok((job?.maxRssBytes ?? 0) > 50 * 1024 * 1024, `peak memory: ${JSON.stringify(job)}`);
      }
      assert.deepEqual(recorded, json);
      const shown = (await flowAsync(["runs", "show"], { cwd: dir, env }).done).stdout;
      assert.match(shown, /cpu\s+peak mem\s+task$/m, shown);
      assert.match(shown, /\d+\.\ds\s+\d+\.\d MiB\s+heavy\.txt$/m, shown);
      console.log(`# accounting: ${JSON.stringify(json)}`);
    } finally {
      cleanup(dir);
    }
  });

  const sleepers = ".PHONY: all\nSLEEP ?= 60\nall: a b c\na b c:\n\tsleep $(SLEEP); touch $@\n";
  const waitRunning = async (count: number) => {
    for (let i = 0; i < 200 && cluster.active().length < count; i++) await sleep(100);
    return cluster.active();
  };

  test("a job cancelled outside flow (scancel by hand) fails its task with 'cancelled'", async () => {
    const dir = writeProject({ Flowfile: "after.txt: slow.txt\n\tcp $< $@\nslow.txt:\n\tsleep 60; touch $@\n" });
    try {
      const { done } = flowAsync(["build", "--json", "--executor", "slurm"], { cwd: dir, env });
      const ids = await waitRunning(1);
      assert.equal(ids.length, 1);
      spawnSync("scancel", ids.map((id) => id.split("_")[0] as string), { env });
      const r = await done;
      assert.equal(r.code, 1, r.stderr);
      const tasks = (JSON.parse(r.stdout) as JsonSummary).tasks;
      assert.equal(tasks.find((t) => t.name === "slow.txt")?.reason, "cancelled");
      assert.match(tasks.find((t) => t.name === "slow.txt")?.message ?? "", /cancelled outside flow/);
      assert.equal(tasks.find((t) => t.name === "after.txt")?.status, "cannot-run");
    } finally {
      cleanup(dir);
    }
  });

  test("Ctrl-C cancels every job flow submitted and exits 130", async () => {
    const dir = writeProject({ Flowfile: sleepers });
    try {
      const { child, done } = flowAsync(["build", "--executor", "slurm"], { cwd: dir, env });
      assert.equal((await waitRunning(3)).length, 3, "three jobs in the queue");
      child.kill("SIGINT");
      const r = await done;
      assert.equal(r.code, 130, r.stderr);
      assert.deepEqual(cluster.active(), [], "no job of flow's left in squeue");
    } finally {
      cleanup(dir);
    }
  });

  test("a SIGKILLed flow's jobs are cancelled by the next build before it submits its own", async () => {
    const dir = writeProject({ Flowfile: sleepers });
    try {
      const { child, done } = flowAsync(["build", "--executor", "slurm"], { cwd: dir, env });
      const orphans = await waitRunning(3);
      assert.equal(orphans.length, 3);
      child.kill("SIGKILL");
      await done;
      assert.equal(cluster.active().length, 3, "its jobs outlive it");
      const r = await build(["--executor", "slurm", "SLEEP=0"], dir);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /cancelled Slurm jobs .* left running by an earlier build/);
      assert.deepEqual(cluster.active(), []);
      assert.ok(!existsSync(join(dir, ".flow/slurm-jobs")), "the record is gone");
    } finally {
      cleanup(dir);
    }
  });
});
