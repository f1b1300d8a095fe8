import assert from "node:assert/strict";
import { test } from "node:test";
import { accountingDisabled, parseCpuTime, parseRss, parseSacct } from "./slurm-sacct.js";

test("sacct's lines: the element's elapsed and CPU time, the largest MaxRSS of its steps", () => {
  const text = [
    "57_0|COMPLETED|00:00:02|00:01.234||0:0",
    "57_0.batch|COMPLETED|00:00:02|00:01.230|102400K|0:0",
    "57_0.extern|COMPLETED|00:00:02|00:00.004|1024K|0:0",
    "57_1|OUT_OF_MEMORY|00:01:05|1-02:03:04.500||0:125",
    "57_1.batch|OUT_OF_MEMORY|00:01:05|1-02:03:04.500|1.5G|0:125",
    "58|CANCELLED by 0|00:00:00|00:00:00||0:0",
    "59_2|COMPLETED|00:00:01|||0:0",
    "59_2.batch|COMPLETED|00:00:01|00:00.700|2M|0:0",
    "",
  ].join("\n");
  const jobs = parseSacct(text);
  assert.deepEqual(jobs.get("57_0"), { state: "COMPLETED", elapsedSec: 2, cpuSec: 1.234, maxRssBytes: 100 * 1024 * 1024 });
  assert.deepEqual(jobs.get("57_1"), { state: "OUT_OF_MEMORY", elapsedSec: 65, cpuSec: 86400 + 2 * 3600 + 3 * 60 + 4.5, maxRssBytes: 1.5 * 1024 ** 3 });
  assert.deepEqual(jobs.get("58"), { state: "CANCELLED by 0", elapsedSec: 0, cpuSec: 0 });
  assert.deepEqual(jobs.get("59_2"), { state: "COMPLETED", elapsedSec: 1, cpuSec: 0.7, maxRssBytes: 2 * 1024 * 1024 }, "no CPU time on the element's line: the steps' sum");
  assert.equal(jobs.size, 4, "steps are no jobs of their own");
});

test("TotalCPU and MaxRSS formats", () => {
  assert.equal(parseCpuTime("00:01.500"), 1.5);
  assert.equal(parseCpuTime("01:02:03"), 3723);
  assert.equal(parseCpuTime("2-00:00:01.250"), 2 * 86400 + 1.25);
  assert.equal(parseCpuTime(""), undefined);
  assert.equal(parseRss("0"), 0);
  assert.equal(parseRss("512"), 512);
  assert.equal(parseRss("10K"), 10240);
  assert.equal(parseRss("3M"), 3 * 1024 ** 2);
  assert.equal(parseRss(""), undefined);
  assert.ok(accountingDisabled("sacct: error: Slurm accounting storage is disabled"));
  assert.ok(!accountingDisabled("sacct: error: Problem talking to the database: Connection refused"));
});
