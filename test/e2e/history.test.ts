// The build history (docs/history.md): each `flow build` leaves a run
// directory, `flow runs` lists the builds, `flow runs show N` one of them,
// `flow log TASK` prints a task's last log.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { buildJson, cleanup, flow, flowAsync, writeProject } from "./support.js";

interface RunJson {
  run: number;
  args: string[];
  outcome: string;
  exitCode: number;
  tasks: number;
  counts: { ran: number; restored: number; upToDate: number; failed: number; cannotRun: number; skipped: number };
}

interface ShowJson extends Omit<RunJson, "tasks"> {
  dir: string;
  environment: {
    flow: string;
    node: string;
    os: string;
    variables: Record<string, string> | null;
    overrides: Record<string, string>;
    taskEnv: { values: Record<string, string | null>; groups: { names: string[]; tasks: string[] }[] };
    masked: string[];
  };
  tasks: { name: string; status: string; durationMs: number; cache: string; key: string | null; exitCode?: number; log?: string }[];
}

function runsJson(dir: string, env?: NodeJS.ProcessEnv): RunJson[] {
  const r = flow(["runs", "--json"], { cwd: dir, ...(env ? { env } : {}) });
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { runs: RunJson[] }).runs;
}

function showJson(dir: string, n: number): ShowJson {
  const r = flow(["runs", "show", String(n), "--json"], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as ShowJson;
}

test("flow runs lists a successful, a failed and an interrupted build, newest first, with each task's status", async () => {
  const dir = writeProject({
    Flowfile: [
      ".PHONY: all",
      "all: ok.txt maybe.txt",
      "ok.txt:",
      "\techo ok > $@",
      // Fails when FAIL is set on the command line; waits when WAIT is (for the interrupt).
      "maybe.txt:",
      '\tif [ -n "$(WAIT)" ]; then touch started; sleep 30; fi',
      '\ttest -z "$(FAIL)"',
      "\techo maybe > $@",
      "",
    ].join("\n"),
  });
  try {
    const first = buildJson([], { cwd: dir });
    assert.equal(first.code, 0, first.stderr);
    const failed = flow(["build", "FAIL=1"], { cwd: dir });
    assert.equal(failed.code, 1, failed.stderr);
    const { child, done } = flowAsync(["build", "WAIT=1"], { cwd: dir });
    for (let i = 0; i < 400 && !existsSync(join(dir, "started")); i++) await sleep(50);
    assert.ok(existsSync(join(dir, "started")), "the slow task started");
    child.kill("SIGINT");
    assert.equal((await done).code, 130);

    const runs = runsJson(dir);
    assert.deepEqual(
      runs.map((r) => [r.run, r.outcome, r.exitCode, r.args.join(" ")]),
      [
        [3, "interrupted", 130, "build WAIT=1"],
        [2, "failed", 1, "build FAIL=1"],
        [1, "ok", 0, "build --json"],
      ],
    );
    // `all`, an aggregate without a recipe, is up to date once what it needs is.
    assert.deepEqual(runs[2]?.counts, { ran: 2, restored: 0, upToDate: 1, failed: 0, cannotRun: 0, skipped: 0 });
    // The aggregate `all` has no recipe: it could not run after its dependency failed.
    assert.deepEqual(runs[1]?.counts, { ran: 0, restored: 0, upToDate: 1, failed: 1, cannotRun: 1, skipped: 0 });

    const text = flow(["runs"], { cwd: dir });
    assert.equal(text.code, 0, text.stderr);
    const lines = text.stdout.trimEnd().split("\n");
    assert.match(lines[0] ?? "", /^run +when +took +outcome +ran +restored +up-to-date +failed +command$/);
    assert.match(lines[1] ?? "", /^ *3 .* interrupted .* flow build WAIT=1$/);
    assert.match(lines[2] ?? "", /^ *2 .* failed +0 +0 +1 +2 +flow build FAIL=1$/);
    assert.match(lines[3] ?? "", /^ *1 .* ok +2 +0 +1 +0 +flow build --json$/);

    const shown = showJson(dir, 2);
    const byName = new Map(shown.tasks.map((t) => [t.name, t]));
    assert.equal(byName.get("ok.txt")?.status, "up-to-date");
    assert.equal(byName.get("ok.txt")?.cache, "hit");
    assert.equal(byName.get("ok.txt")?.key, first.summary.tasks.find((t) => t.name === "ok.txt")?.key);
    assert.equal(byName.get("maybe.txt")?.status, "failed");
    assert.equal(byName.get("maybe.txt")?.cache, "miss");
    assert.equal(byName.get("maybe.txt")?.exitCode, 1);
    assert.equal(byName.get("all")?.status, "cannot-run");
    assert.equal(showJson(dir, 1).tasks.find((t) => t.name === "ok.txt")?.cache, "miss");

    const plain = flow(["runs", "show", "2"], { cwd: dir });
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /^run 2: failed \(exit 1\)$/m);
    assert.match(plain.stdout, /^failed \(exit 1\) +\S+ +miss +maybe\.txt$/m);
    assert.match(plain.stdout, /^up-to-date +\S+ +hit +ok\.txt$/m);

    // Each task that ran has its duration recorded for the ETA and the scheduler (history/durations.ts).
    const durations = JSON.parse(readFileSync(join(dir, ".flow", "runs", "durations.json"), "utf8")) as { tasks: Record<string, number> };
    assert.deepEqual(Object.keys(durations.tasks).sort(), ["maybe.txt", "ok.txt"]);
  } finally {
    cleanup(dir);
  }
});

test("flow runs show N of a run that is not kept says which are (-n and -q record none)", () => {
  const dir = writeProject({ Flowfile: "a.txt:\n\techo a > $@\n" });
  try {
    const none = flow(["runs", "show", "1"], { cwd: dir });
    assert.equal(none.code, 1);
    assert.match(none.stderr, /RUN_NOT_FOUND: no builds are recorded in .*\.flow\/runs; each 'flow build' records one/);
    assert.equal(flow(["build"], { cwd: dir }).code, 0);
    assert.equal(flow(["build"], { cwd: dir }).code, 0);
    // -n and -q run nothing and record nothing.
    assert.equal(flow(["build", "-n"], { cwd: dir }).code, 0);
    assert.equal(flow(["build", "-q"], { cwd: dir }).code, 0);
    const r = flow(["runs", "show", "99"], { cwd: dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error RUN_NOT_FOUND: no run 99 in .*; the runs kept are 1 to 2 \(flow runs lists them\)/);
    const bad = flow(["runs", "show", "last"], { cwd: dir });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /runs show needs a run's number/);
  } finally {
    cleanup(dir);
  }
});

test("a run directory holds the environment file, secrets masked, and that run's logs, which a later run does not overwrite", () => {
  const dir = writeProject({
    Flowfile: [
      "DB_PASSWORD := hunter2-in-the-flowfile",
      "CFLAGS = -O2 -Wall",
      "CURL_FLAGS = -H 'Authorization: $(MY_API_TOKEN)'",
      "app.txt: src.txt",
      "\t@echo 'src.txt:1: warning: unused variable' >&2",
      "\tcat src.txt > $@",
      "tok.txt: .ENV = MY_API_TOKEN LANG_FOR_TEST",
      "tok.txt:",
      "\techo token-used > $@",
      "",
    ].join("\n"),
    "src.txt": "one\n",
  });
  const env = { MY_API_TOKEN: "tok-abcdef-123456", LANG_FOR_TEST: "xx" };
  try {
    const first = flow(["build", "app.txt", "tok.txt", "DEPLOY_SECRET=sekrit-on-the-command-line", "MODE=fast"], { cwd: dir, env });
    assert.equal(first.code, 0, first.stderr);
    const run1 = join(dir, ".flow", "runs", "1");
    const e = JSON.parse(readFileSync(join(run1, "env.json"), "utf8")) as ShowJson["environment"];
    assert.equal(e.node, process.version);
    assert.match(e.flow, /^[0-9]+\.[0-9]+\.[0-9]+/);
    assert.ok(e.os.length > 0);
    assert.deepEqual(e.variables, { CFLAGS: "-O2 -Wall", CURL_FLAGS: "-H 'Authorization: $(MY_API_TOKEN)'", DB_PASSWORD: "***" });
    assert.deepEqual(e.overrides, { DEPLOY_SECRET: "***", MODE: "fast" });
    assert.deepEqual(e.taskEnv.values, { LANG_FOR_TEST: "xx", MY_API_TOKEN: "***" });
    assert.deepEqual(e.taskEnv.groups, [{ names: ["LANG_FOR_TEST", "MY_API_TOKEN"], tasks: ["tok.txt"] }]);
    assert.deepEqual(e.masked, ["DB_PASSWORD", "DEPLOY_SECRET", "MY_API_TOKEN"]);
    // No secret is anywhere in the run directory, the command line included.
    for (const f of ["env.json", "run.json", "tasks.json"]) {
      const text = readFileSync(join(run1, f), "utf8");
      for (const secret of ["hunter2", "sekrit", "tok-abcdef"]) assert.ok(!text.includes(secret), `${f} holds ${secret}`);
    }

    const logs1 = readdirSync(join(run1, "logs"));
    assert.equal(logs1.length, 1, "only app.txt printed something");
    const kept = join(run1, "logs", logs1[0] as string);
    assert.equal(readFileSync(kept, "utf8"), "src.txt:1: warning: unused variable\n");
    // A hard link to the log in .flow/logs, not a copy.
    assert.equal(statSync(kept).ino, statSync(join(dir, ".flow", "logs", logs1[0] as string)).ino);

    // The next build with nothing changed reads no Flowfile (the state holds): the variables come from the state.
    const again = buildJson(["app.txt", "tok.txt", "DEPLOY_SECRET=sekrit-on-the-command-line", "MODE=fast"], { cwd: dir, env });
    assert.equal(again.code, 0, again.stderr);
    assert.equal((again.summary as unknown as { state: { held: boolean } }).state.held, true);
    assert.deepEqual(showJson(dir, 2).environment.variables, e.variables);

    // app.txt runs again and prints something else: run 1's log is still the first one's.
    writeProject({ "src.txt": "two\n", Flowfile: readFileSync(join(dir, "Flowfile"), "utf8").replace("unused variable", "shadowed variable") }, dir);
    assert.equal(flow(["build", "app.txt"], { cwd: dir }).code, 0);
    assert.equal(readFileSync(kept, "utf8"), "src.txt:1: warning: unused variable\n");
    const run3 = showJson(dir, 3);
    const log3 = run3.tasks.find((t) => t.name === "app.txt")?.log;
    assert.equal(log3, `logs/${logs1[0] as string}`);
    assert.equal(readFileSync(join(run3.dir, log3 as string), "utf8"), "src.txt:1: warning: shadowed variable\n");
  } finally {
    cleanup(dir);
  }
});

test("flow log prints a task's last log: from .flow/logs, else the run history, else the cache; none is a clear error", () => {
  const dir = writeProject({
    Flowfile: ["out.txt:", "\techo building out", "\techo out > $@", "quiet.txt:", "\techo q > $@", ""].join("\n"),
  });
  try {
    assert.equal(flow(["build", "out.txt", "quiet.txt"], { cwd: dir }).code, 0);
    const live = flow(["log", "out.txt"], { cwd: dir });
    assert.equal(live.code, 0, live.stderr);
    assert.equal(live.stdout, "building out\n");
    assert.match(live.stderr, /^flow: log of out\.txt from .*\.flow\/logs\//);

    rmSync(join(dir, ".flow", "logs"), { recursive: true });
    const fromRun = flow(["log", "out.txt"], { cwd: dir });
    assert.equal(fromRun.code, 0, fromRun.stderr);
    assert.equal(fromRun.stdout, "building out\n");
    assert.match(fromRun.stderr, /from run 1 /);

    rmSync(join(dir, ".flow", "runs"), { recursive: true });
    const fromCache = flow(["log", "out.txt"], { cwd: dir });
    assert.equal(fromCache.code, 0, fromCache.stderr);
    assert.equal(fromCache.stdout, "building out\n");
    assert.match(fromCache.stderr, /from the cache/);

    const quiet = flow(["log", "quiet.txt"], { cwd: dir });
    assert.equal(quiet.code, 1);
    assert.equal(quiet.stdout, "");
    assert.match(quiet.stderr, /error LOG_NOT_FOUND: no log of 'quiet\.txt'.*A recipe that printed nothing leaves no log/);

    assert.equal(flow(["build", "out.txt"], { cwd: dir }).code, 0);
    const unknown = flow(["log", "nosuch"], { cwd: dir });
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /LOG_NOT_FOUND.*The newest build \(run 1\) has no task of that name/);
  } finally {
    cleanup(dir);
  }
});
