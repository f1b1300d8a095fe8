// RELIABILITY 19: "racy git". A file edited twice within one tick of the
// file system's clock, keeping its size, keeps its whole stat (size, mtime,
// ctime, inode): a memo keyed by the stat would keep the first content's hash
// and call the second content up to date. flow's stat memo trusts a record
// only when the file's newest time stamp was RACY_WINDOW_MS (2 s) older than
// the clock when it was hashed (packages/cache/src/stat-memo.ts); a file
// hashed sooner is hashed again on every run until it has aged.
//
// The tick cannot be made to last on this machine: Linux stamps files with a
// fine clock once they have been stat'ed (multigrain time stamps, ext4,
// 6.13+), and a flow process takes far longer than a tick to start. So the
// test makes the second edit look exactly like a same-tick edit: same size,
// mtime pinned back with `touch -d`, and, since no tool can set a ctime, the
// ctime in flow's own stat-memo record moved to the file's new ctime. Nothing
// else of the record is touched: its hash (of the first content) and its
// trusted flag are what flow wrote when it hashed the file. Without the
// window rule that record would be trusted and the edit missed (checked:
// with RACY_WINDOW_MS = 0 this test fails).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { open } from "lmdb";
import { buildJson, cleanup, read, withStatus, writeProject } from "../e2e/support.js";

// While flow reads this Flowfile, `$(shell)` writes in.txt from `stage` (when the test left one):
// the first edit lands just before flow hashes the file, however long flow took to start.
// The recipe notes when it started, after the hash: an upper bound of the time of the hash.
/** The window the stat memo promises (RACY_WINDOW_MS); written out, so the test pins it rather than follows it. */
const WINDOW_MS = 2000;

const FLOWFILE = [
  "STAGED := $(shell if [ -f stage ]; then cat stage > in.txt && rm stage; fi)",
  "out.txt: in.txt",
  "\tdate +%s%3N > hashed-before",
  "\tcat in.txt > $@",
  "",
].join("\n");

// The stat memo's record, as laid out in packages/cache/src/stat-record.ts:
// [0] format 1, [1] trusted, [8) size, [16) mtimeMs, [24) ctimeMs, [32) ino (f64 LE).
const STAT_RECORD_BYTES = 56;

/** Reads flow's stat-memo record of `absPath` and, if `ctimeMs` is given, rewrites its ctime. */
function statRecord(cacheDir: string, absPath: string, ctimeMs?: number): { trusted: boolean; size: number; mtimeMs: number; ctimeMs: number; ino: number } {
  const env = open(join(cacheDir, "db"), { compression: false, maxDbs: 8 });
  try {
    const db = env.openDB<Buffer, string>("statmemo", { encoding: "binary" });
    const rec = db.getBinary(absPath);
    assert.ok(rec !== undefined && rec.length === STAT_RECORD_BYTES && rec[0] === 1, `a stat-memo record of format 1 for ${absPath}`);
    if (ctimeMs !== undefined) {
      const patched = Buffer.from(rec);
      patched.writeDoubleLE(ctimeMs, 24);
      db.putSync(absPath, patched);
    }
    const now = db.getBinary(absPath) as Buffer;
    return { trusted: now[1] === 1, size: now.readDoubleLE(8), mtimeMs: now.readDoubleLE(16), ctimeMs: now.readDoubleLE(24), ino: now.readDoubleLE(32) };
  } finally {
    void env.close();
  }
}

test("RELIABILITY 19: a same-size edit within one mtime tick of the hash is seen", async (t) => {
  const dir = writeProject({ Flowfile: FLOWFILE, "in.txt": "" });
  const input = join(dir, "in.txt");
  try {
    // The first content, hashed inside the window. If the machine is so loaded that the recipe
    // starts over 2 s after the write, the hash may have been outside it: try again, then give up.
    for (let attempt = 1; ; attempt++) {
      writeFileSync(join(dir, "stage"), `first ${attempt}\n`);
      const first = buildJson([], { cwd: dir });
      assert.equal(first.code, 0, first.stderr);
      assert.equal(read(dir, "in.txt"), `first ${attempt}\n`, "staged while the Flowfile was read");
      const st = statSync(input);
      if (Number(read(dir, "hashed-before")) - Math.max(st.mtimeMs, st.ctimeMs) < WINDOW_MS) break;
      if (attempt === 3) {
        t.skip("three times, flow's recipe started over 2 s after the write it follows: the machine is too loaded to stage the race");
        return;
      }
    }
    assert.equal(statRecord(join(dir, ".flow"), input).trusted, false, "a hash taken inside the window is not trusted");
    const firstText = read(dir, "in.txt");
    assert.equal(read(dir, "out.txt"), firstText);

    // The second edit: same size, mtime pinned back to the first's.
    const before = statSync(input, { bigint: true });
    writeFileSync(input, firstText.replace("first", "SECND"));
    const ns = before.mtimeNs;
    execFileSync("touch", ["-m", "-d", `@${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, "0")}`, input]);
    const after = statSync(input);
    // ... and the ctime as if it had not moved either: now the memo sees the very stat it hashed.
    const rec = statRecord(join(dir, ".flow"), input, after.ctimeMs);
    assert.deepEqual([rec.size, rec.mtimeMs, rec.ctimeMs, rec.ino], [after.size, after.mtimeMs, after.ctimeMs, after.ino], "the record matches the edited file's stat");
    assert.equal(rec.trusted, false, "still flow's verdict");

    const second = buildJson([], { cwd: dir });
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(withStatus(second.summary, "ran"), ["out.txt"], "the second content was hashed, not taken from the memo");
    assert.equal(read(dir, "out.txt"), firstText.replace("first", "SECND"));
  } finally {
    cleanup(dir);
  }
});
