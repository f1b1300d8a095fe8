// RELIABILITY 05: flow's output goes to a reader that dies (EPIPE) or to a
// stream that cannot be written (`> /dev/full`, ENOSPC). flow stops writing
// there and finishes as it would: no stack trace, its normal exit code, the
// workspace lock released, and the next build works.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { buildJson, cleanup, flowBin, withStatus, writeProject } from "../e2e/support.js";

const STACK_LINE = /^\s+at .+:\d+:\d+\)?$/m;

function project(): string {
  const lines = ["all: " + Array.from({ length: 40 }, (_, i) => `o${i}.txt`).join(" ") + " bad.txt"];
  for (let i = 0; i < 40; i++) lines.push(`o${i}.txt:`, `\techo ${i} > $@`);
  // A failing task: its log is printed too, and the exit code must stay 1.
  lines.push("bad.txt:", "\techo some output; echo more output; exit 3");
  return writeProject({ Flowfile: lines.join("\n") + "\n" });
}

/** Runs flow with stdout given (a file descriptor) or piped to a reader that leaves after the first chunk. */
function run(args: string[], cwd: string, stdout: number | "reader-dies"): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ["--no-concurrent-recompilation", flowBin, ...args], {
    cwd,
    stdio: ["ignore", stdout === "reader-dies" ? "pipe" : stdout, "pipe"],
  });
  if (stdout === "reader-dies") child.stdout?.once("data", () => child.stdout?.destroy());
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stderr })));
}

test("RELIABILITY 05: stdout on /dev/full: no stack trace, the build's own exit code, lock released, next build works", async () => {
  const dir = project();
  try {
    const full = openSync("/dev/full", "w");
    let r;
    try {
      r = await run(["build", "-k", "-v"], dir, full);
    } finally {
      closeSync(full);
    }
    assert.doesNotMatch(r.stderr, STACK_LINE);
    assert.doesNotMatch(r.stderr, /internal error|ENOSPC/i);
    assert.equal(r.code, 1, `exit 1 for the failed task, as without the broken stdout:\n${r.stderr}`);
    assert.equal(existsSync(join(dir, ".flow", "lock")), false, "lock released");
    const next = buildJson(["-k"], { cwd: dir });
    assert.equal(next.code, 1, next.stderr);
    assert.deepEqual(withStatus(next.summary, "failed"), ["bad.txt"]);
    assert.equal(withStatus(next.summary, "up-to-date").length, 40, "the 40 good tasks were recorded by the first build");
  } finally {
    cleanup(dir);
  }
});

test("RELIABILITY 05: a reader that goes away after the first bytes (flow build | head -c 1): flow finishes cleanly", async () => {
  const dir = project();
  try {
    const r = await run(["build", "-k", "-v"], dir, "reader-dies");
    assert.doesNotMatch(r.stderr, STACK_LINE);
    assert.doesNotMatch(r.stderr, /internal error|EPIPE/i);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(existsSync(join(dir, ".flow", "lock")), false, "lock released");
    const next = buildJson(["-k"], { cwd: dir });
    assert.deepEqual(withStatus(next.summary, "failed"), ["bad.txt"]);
    assert.equal(withStatus(next.summary, "up-to-date").length, 40);
  } finally {
    cleanup(dir);
  }
});
