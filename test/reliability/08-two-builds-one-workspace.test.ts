// RELIABILITY 08: two `flow build` in one workspace. The second waits, with
// one message naming the holder; with --no-wait it fails at once (exit 1),
// naming the holder, having run nothing. The two never interleave: every
// recipe writes to a journal when it starts and ends, and the second build's
// entries all come after the first build's last one.
//
// The builds ask for different targets, so the second one has work of its
// own to do (were it the same target, it would only find it up to date).
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { cleanup, flow, flowAsync, withStatus, writeProject, type JsonSummary } from "../e2e/support.js";

// a1 holds the first build until the test creates `release` (30 s at most).
// The others are quick; each recipe notes its start and end in `journal`.
const quick = (n: string) => [`${n}:`, `\techo 'begin ${n}' >> journal; echo ${n} > $@; echo 'end ${n}' >> journal`];
const FLOWFILE = [
  ".PHONY: first second",
  "first: a1 a2",
  "second: b1 b2",
  "a1:",
  "\techo 'begin a1' >> journal",
  "\ti=0; while [ ! -f release ] && [ $$i -lt 600 ]; do sleep 0.05; i=$$((i+1)); done",
  "\techo a1 > $@; echo 'end a1' >> journal",
  ...quick("a2"),
  ...quick("b1"),
  ...quick("b2"),
  "",
].join("\n");

async function until(what: string, cond: () => boolean, ms = 30_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(25)) if (cond()) return;
  assert.fail(`timed out waiting until ${what}`);
}

const journal = (dir: string) => (existsSync(join(dir, "journal")) ? readFileSync(join(dir, "journal"), "utf8").trimEnd().split("\n") : []);

test("RELIABILITY 08: a second build in the same workspace waits for the first, naming it; --no-wait fails at once; no interleaving", async () => {
  const dir = writeProject({ Flowfile: FLOWFILE });
  try {
    const first = flowAsync(["build", "--json", "-j", "2", "first"], { cwd: dir });
    await until("the first build runs a1", () => journal(dir).includes("begin a1"));

    const refused = flow(["build", "--no-wait", "second"], { cwd: dir });
    assert.equal(refused.code, 1, refused.stdout + refused.stderr);
    assert.match(refused.stderr, new RegExp(`^flow: the workspace is locked by flow build \\(pid ${first.child.pid} on .*\\); not waiting \\(--no-wait\\)$`, "m"));

    const second = flowAsync(["build", "--json", "-j", "2", "second"], { cwd: dir });
    let stderr = "";
    second.child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    await until("the second build says it waits", () => stderr.includes("waiting for the workspace lock"));
    assert.match(stderr, new RegExp(`^flow: waiting for the workspace lock held by flow build \\(pid ${first.child.pid} on `, "m"));
    assert.ok(!journal(dir).some((l) => l.includes(" b")), "nothing of the second build (or of --no-wait) has run while the first holds the lock");

    writeFileSync(join(dir, "release"), "");
    const [a, b] = await Promise.all([first.done, second.done]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(b.stderr.split("\n").filter((l) => l.includes("waiting for the workspace lock")).length, 1, "one message, not one per poll");
    assert.deepEqual(withStatus(JSON.parse(a.stdout) as JsonSummary, "ran"), ["a1", "a2"]);
    assert.deepEqual(withStatus(JSON.parse(b.stdout) as JsonSummary, "ran"), ["b1", "b2"]);

    const lines = journal(dir);
    const lastOfFirst = Math.max(...lines.map((l, i) => (/ a\d$/.test(l) ? i : -1)));
    const firstOfSecond = Math.min(...lines.map((l, i) => (/ b\d$/.test(l) ? i : Infinity)));
    assert.equal(lines.length, 8, lines.join("\n"));
    assert.ok(lastOfFirst < firstOfSecond, `the builds interleaved:\n${lines.join("\n")}`);
  } finally {
    cleanup(dir);
  }
});
