// RELIABILITY 28: disk full while writing outputs, blobs or LMDB. A clean
// failure (no stack trace, no lock left behind, no temp files), a good output
// the cache cannot store is a warning and not a failed task, a failing
// recipe's lost log is explained, and once space is freed the next build
// succeeds without manual repair.
//
// Each case mounts its own 8 MiB tmpfs inside its temp dir (root only; the
// test is skipped with the reason when mount is not permitted).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { buildJson, cleanup, flow, tempDir, withStatus, writeProject } from "../e2e/support.js";

// A stack frame outside lmdb (lmdb-js itself console.errors a failed commit with its stack; flow does not).
const STACK_LINE = /^\s+at (?!.*node_modules\/lmdb\/).+:\d+:\d+\)?$/m;

/** Runs `fn` with a fresh 8 MiB tmpfs mounted at DIR/disk; unmounted (and the dir removed) after. */
async function withSmallDisk(t: TestContext, fn: (disk: string) => Promise<void> | void): Promise<void> {
  const dir = tempDir("flow-rel28-");
  const disk = join(dir, "disk");
  mkdirSync(disk);
  const m = spawnSync("mount", ["-t", "tmpfs", "-o", "size=8m", "tmpfs", disk], { encoding: "utf8" });
  if (m.status !== 0) {
    cleanup(dir);
    t.skip(`cannot mount a tmpfs (needs root or CAP_SYS_ADMIN): ${(m.stderr || m.error?.message || "").trim()}`);
    return;
  }
  try {
    await fn(disk);
  } finally {
    spawnSync("umount", [disk]);
    cleanup(dir);
  }
}

/** Fills the disk up to `bytes` with a file named `name` (a partial file if the disk fills first). */
function fill(disk: string, name: string, bytes: number | "all"): void {
  const count = bytes === "all" ? 16 * 1024 * 1024 : bytes;
  spawnSync("sh", ["-c", `head -c ${count} /dev/urandom > ${name} 2>/dev/null || true`], { cwd: disk });
}

/** Nothing left behind by an interrupted or failed write: no lock, no temp blobs. */
function assertClean(disk: string): void {
  assert.equal(existsSync(join(disk, ".flow", "lock")), false, "the workspace lock was released");
  const tmp = join(disk, ".flow", "tmp");
  const left = existsSync(tmp) ? readdirSync(tmp).filter((n) => !n.startsWith("stats-")) : [];
  assert.deepEqual(left, [], "no temp blobs left in .flow/tmp");
}

test("RELIABILITY 28: a good output the cache cannot store is a warning naming it; the task ran and is not cached", async (t) => {
  await withSmallDisk(t, (disk) => {
    writeProject(
      {
        Flowfile: ["all: big.bin size.txt", "big.bin:", "\thead -c 3145728 /dev/zero > $@", "size.txt: big.bin", "\twc -c < big.bin > $@", ""].join("\n"),
      },
      disk,
    );
    fill(disk, "filler", 4_500_000); // 3 MiB fits once, not twice: the blob copy fails
    const r = buildJson([], { cwd: disk });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, STACK_LINE);
    assert.deepEqual(withStatus(r.summary, "ran"), ["big.bin", "size.txt"]);
    assert.match(r.stderr, /warning OUTPUT_NOT_CACHED: could not store output 'big.bin' in the cache \(ENOSPC[^)]*\).*flow cache gc/);
    assert.doesNotMatch(r.stderr, new RegExp(`'${disk.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}'`), "the project directory is not named as the output");
    assert.equal(statSync(join(disk, "big.bin")).size, 3145728, "the output is in place");
    assertClean(disk);

    // Space freed: the uncached task runs again and is cached this time; its dependent's key is unchanged.
    rmSync(join(disk, "filler"));
    const next = buildJson([], { cwd: disk });
    assert.equal(next.code, 0, next.stderr);
    assert.deepEqual(withStatus(next.summary, "ran"), ["big.bin"]);
    assert.equal(next.summary.tasks.find((x) => x.name === "size.txt")?.status, "up-to-date");
    assert.doesNotMatch(next.stderr, /warning/);
    const third = buildJson([], { cwd: disk });
    assert.deepEqual(withStatus(third.summary, "ran"), []);
  });
});

test("RELIABILITY 28: a recipe that fails because the disk is full: its empty log is explained, not shown bare", async (t) => {
  await withSmallDisk(t, (disk) => {
    writeProject({ Flowfile: ["out.bin:", "\thead -c 3000000 /dev/zero > $@", ""].join("\n") }, disk);
    fill(disk, "filler", 6_500_000);
    const r = flow(["build"], { cwd: disk });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout + r.stderr, STACK_LINE);
    assert.match(r.stdout, /FAILED\s+out\.bin: recipe exited with code 1/);
    assert.match(r.stdout, /--- log of out\.bin .*---\n {2}\(the disk holding this log had \d+ bytes free when the recipe ended, so what the recipe printed may be missing/);
    assert.equal(existsSync(join(disk, "out.bin")), false, "the partial output was removed");
    assertClean(disk);

    rmSync(join(disk, "filler"));
    const next = buildJson([], { cwd: disk });
    assert.equal(next.code, 0, next.stderr);
    assert.deepEqual(withStatus(next.summary, "ran"), ["out.bin"]);
    assert.equal(statSync(join(disk, "out.bin")).size, 3000000);
  });
});

test("RELIABILITY 28: a full disk at the lock, the blob flush and LMDB: clean messages, exit codes kept, then a normal build", async (t) => {
  await withSmallDisk(t, (disk) => {
    writeProject(
      {
        // The recipe fills the disk after writing its small output (`fill` is not an input):
        // the blob (kept in memory until the flush) and the records meet a full disk. Past
        // 4 KiB, so that the output is a blob and not kept in its record.
        Flowfile: ["small.txt: src.txt", "\tcp src.txt $@", "\tif [ -f fill ]; then head -c 16000000 /dev/urandom > filler 2>/dev/null || true; fi", ""].join("\n"),
        "src.txt": "1\n".repeat(3000),
        fill: "",
      },
      disk,
    );
    const r = buildJson([], { cwd: disk });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, STACK_LINE);
    assert.deepEqual(withStatus(r.summary, "ran"), ["small.txt"]);
    assert.match(r.stderr, /warning CACHE_WRITE_FAILED: .*ENOSPC/);
    assertClean(disk);

    // Full before flow starts: it cannot even take the lock. One line saying so, exit 1, nothing left.
    rmSync(join(disk, "small.txt"));
    fill(disk, "filler2", "all");
    const full = flow(["build"], { cwd: disk });
    assert.equal(full.code, 1, full.stdout + full.stderr);
    assert.doesNotMatch(full.stdout + full.stderr, STACK_LINE);
    assert.match(full.stderr, /cannot take the workspace lock .*ENOSPC.*nothing was built/);
    assertClean(disk);

    // Space freed: no repair needed. The result was never recorded, so it runs again, then is cached.
    rmSync(join(disk, "fill"));
    rmSync(join(disk, "filler"));
    rmSync(join(disk, "filler2"));
    const next = buildJson([], { cwd: disk });
    assert.equal(next.code, 0, next.stderr);
    assert.doesNotMatch(next.stderr, /warning|waiting/);
    assert.deepEqual(withStatus(next.summary, "ran"), ["small.txt"]);
    const third = buildJson([], { cwd: disk });
    assert.deepEqual(withStatus(third.summary, "up-to-date"), ["small.txt"]);
  });
});
