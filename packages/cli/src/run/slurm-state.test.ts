import assert from "node:assert/strict";
import { test } from "node:test";
import { isActive, parseExitStatus, parseSlurmDuration, slurmEnd } from "./slurm-state.js";
import { expandIndices, parseScontrol, parseSqueue } from "./slurm-squeue.js";
import { groupIntoArrays } from "./slurm-arrays.js";
import { backoffDelay, withBackoff } from "./backoff.js";

const job = (state: string, exit = "0", reason = "None") => ({ id: "7_1", state, exit, reason });

test("exit statuses: squeue's raw wait status and scontrol's CODE:SIGNAL", () => {
  assert.deepEqual(parseExitStatus("0"), { exitCode: 0, signal: null });
  assert.deepEqual(parseExitStatus("768"), { exitCode: 3, signal: null });
  assert.deepEqual(parseExitStatus("9"), { exitCode: null, signal: "SIGKILL" });
  assert.deepEqual(parseExitStatus("3:0"), { exitCode: 3, signal: null });
  assert.deepEqual(parseExitStatus("0:15"), { exitCode: null, signal: "SIGTERM" });
  assert.deepEqual(parseExitStatus(""), { exitCode: null, signal: null });
});

test("each end state becomes one result, with a stable reason", () => {
  assert.deepEqual(slurmEnd(job("COMPLETED")), { kind: "exited", exitCode: 0, signal: null });
  assert.deepEqual(slurmEnd(job("FAILED", "768", "NonZeroExitCode")), { kind: "exited", exitCode: 3, signal: null });
  assert.deepEqual(slurmEnd(job("FAILED", "9", "JobLaunchFailure")), { kind: "exited", exitCode: null, signal: "SIGKILL" });
  const reasons: [string, string, boolean][] = [
    ["OUT_OF_MEMORY", "out-of-memory", false],
    ["TIMEOUT", "timeout", false],
    ["DEADLINE", "timeout", false],
    ["NODE_FAIL", "node-fail", true],
    ["BOOT_FAIL", "node-fail", true],
    ["PREEMPTED", "preempted", true],
    ["CANCELLED by 0", "cancelled", false],
  ];
  for (const [state, reason, retryable] of reasons) {
    const e = slurmEnd(job(state, "0:0"));
    assert.equal(e.kind, "failure", state);
    if (e.kind !== "failure") continue;
    assert.equal(e.reason, reason, state);
    assert.equal(e.retryable, retryable, state);
    assert.match(e.message, /Slurm job 7_1/);
  }
  // A job that failed before its script ran has no exit code to give.
  assert.equal(slurmEnd(job("FAILED", "0", "BadConstraints")).kind, "failure");
  for (const s of ["PENDING", "RUNNING", "COMPLETING", "CONFIGURING", "SUSPENDED", "REQUEUED", "SOME_NEW_STATE"]) {
    assert.equal(slurmEnd(job(s)).kind, "active", s);
    assert.equal(isActive(s), true, s);
  }
  assert.equal(isActive("COMPLETED"), false);
});

test("squeue's lines: elements, and an array's pending elements folded into one", () => {
  const a = parseSqueue("12_0|COMPLETED|0|0:01|None\n12_1|FAILED|256|1-02:03:04|NonZeroExitCode\n12_[2-4,7%2]|PENDING|0|0:00|Resources\n13_0|RUNNING|0|12:34|None\n\n");
  assert.deepEqual([...a.jobs.keys()], ["12_0", "12_1", "13_0"]);
  assert.deepEqual(a.jobs.get("12_1"), { id: "12_1", state: "FAILED", exit: "256", reason: "NonZeroExitCode", elapsed: "1-02:03:04" });
  assert.deepEqual(["0:01", "12:34", "2:03:04", "1-02:03:04", "", "INVALID"].map(parseSlurmDuration), [1, 754, 7384, 93784, undefined, undefined]);
  assert.deepEqual([...a.pending].sort(), ["12_2", "12_3", "12_4", "12_7"]);
  assert.deepEqual(expandIndices("0-6:3,9"), [0, 3, 6, 9]);
  // Cancelled while queued: the folded line carries the end state.
  const c = parseSqueue("14_[0-1]|CANCELLED|0|0:00|JobHeldUser\n");
  assert.deepEqual([...c.jobs.keys()], ["14_0", "14_1"]);
  assert.equal(c.pending.size, 0);
});

test("scontrol's one-line records name array elements as BASE_INDEX", () => {
  const m = parseScontrol(
    "JobId=15 ArrayJobId=14 ArrayTaskId=1 JobName=flow:x JobState=OUT_OF_MEMORY Reason=OutOfMemory Dependency=(null) ExitCode=0:125 RunTime=00:00:02\nJobId=20 JobName=y JobState=CANCELLED Reason=None ExitCode=0:15\n",
  );
  assert.deepEqual(m.get("14_1"), { id: "14_1", state: "OUT_OF_MEMORY", exit: "0:125", reason: "OutOfMemory", elapsed: "00:00:02" });
  assert.equal(m.get("20")?.state, "CANCELLED");
});

test("arrays: one per directory, options and environment, split at the size limit, arrival order kept", () => {
  const members = [
    ...Array.from({ length: 2500 }, (_, i) => ({ groupKey: "a", item: `a${i}` })),
    { groupKey: "b", item: "b0" },
    { groupKey: "a", item: "a-last" },
  ];
  const arrays = groupIntoArrays(members, 1000);
  assert.deepEqual(
    arrays.map((g) => g.length),
    [1000, 1000, 501, 1],
  );
  assert.equal(arrays[2]?.[500], "a-last");
  assert.deepEqual(arrays[3], ["b0"]);
});

test("backoff: doubling waits, bounded, and a transient answer is retried only so often", async () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, { baseMs: 500, maxMs: 4000 })), [500, 1000, 2000, 4000, 4000, 4000]);
  const waits: number[] = [];
  let calls = 0;
  const r = await withBackoff(async () => ++calls, () => true, { attempts: 4, baseMs: 100, maxMs: 1000, sleep: async (ms) => void waits.push(ms) });
  assert.equal(r, 4);
  assert.deepEqual(waits, [100, 200, 400]);
  calls = 0;
  assert.equal(await withBackoff(async () => ++calls, (n) => n < 2, { attempts: 9, baseMs: 1, maxMs: 1, sleep: async () => undefined }), 2);
});
