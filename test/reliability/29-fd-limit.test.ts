// RELIABILITY 29: with `ulimit -n 256`, a task with 10,000 inputs builds, is
// cached, is up to date on the next build, reruns when one input changes, and
// is restored; never EMFILE. A task with 10,000 outputs (a declared output
// directory) is the same case from the other side: the blob store used to
// write a batch of small blobs with one open temp file each, all at once, so
// the output was never cached (CACHE_WRITE_FAILED: EMFILE) and the task reran
// on every build (now bounded: blob-store.ts, writeBatch).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { cleanup, flowBin, withStatus, writeProject, type JsonSummary } from "../e2e/support.js";

const N = 10_000;
const LIMIT = 256;

const FLOWFILE = [
  ".PHONY: copies",
  "sum.txt: src/*.txt",
  // The shell's own glob: $^ would be one 150 kB word, over Linux's 128 kB limit for one argument.
  "\tulimit -n > fd-limit; cat src/*.txt | wc -l > $@",
  "copies: src/*.txt",
  "\tcp -r src copies",
  "copies: .OUTPUTS := copies/",
  "",
].join("\n");

/** `flow build --json TARGET` with at most LIMIT open files. */
function buildLimited(dir: string, target: string): { code: number | null; stderr: string; summary: JsonSummary } {
  const r = spawnSync("bash", ["-c", `ulimit -n ${LIMIT} && exec "$@"`, "bash", process.execPath, "--no-concurrent-recompilation", flowBin, "build", "--json", target], {
    cwd: dir,
    encoding: "utf8",
    timeout: 300_000,
  });
  if (r.error) throw r.error;
  let summary: JsonSummary;
  try {
    summary = JSON.parse(r.stdout) as JsonSummary;
  } catch {
    throw new Error(`no JSON (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  }
  return { code: r.status, stderr: r.stderr, summary };
}

let dir: string;
before(() => {
  const files: Record<string, string> = { Flowfile: FLOWFILE };
  for (let i = 0; i < N; i++) files[`src/f${String(i).padStart(5, "0")}.txt`] = `line ${i}\n`;
  dir = writeProject(files);
});
after(() => cleanup(dir));

test("RELIABILITY 29: 10,000 inputs under ulimit -n 256: built, cached, rerun on an edit, restored", () => {
  const first = buildLimited(dir, "sum.txt");
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.stderr.includes("warning"), false, first.stderr);
  assert.deepEqual(withStatus(first.summary, "ran"), ["sum.txt"]);
  assert.equal(readFileSync(join(dir, "fd-limit"), "utf8"), `${LIMIT}\n`, "the limit was in force");
  assert.equal(readFileSync(join(dir, "sum.txt"), "utf8").trim(), String(N));

  const noop = buildLimited(dir, "sum.txt");
  assert.equal(noop.code, 0, noop.stderr);
  assert.deepEqual(withStatus(noop.summary, "up-to-date"), ["sum.txt"]);

  writeFileSync(join(dir, "src/f05000.txt"), "edited\nand longer\n");
  const edited = buildLimited(dir, "sum.txt");
  assert.equal(edited.code, 0, edited.stderr);
  assert.deepEqual(withStatus(edited.summary, "ran"), ["sum.txt"]);
  assert.equal(readFileSync(join(dir, "sum.txt"), "utf8").trim(), String(N + 1));

  writeFileSync(join(dir, "src/f05000.txt"), "line 5000\n");
  const back = buildLimited(dir, "sum.txt");
  assert.equal(back.code, 0, back.stderr);
  assert.deepEqual(withStatus(back.summary, "restored"), ["sum.txt"]);
  assert.equal(readFileSync(join(dir, "sum.txt"), "utf8").trim(), String(N));
});

test("RELIABILITY 29: 10,000 outputs under ulimit -n 256: cached and restored", () => {
  const first = buildLimited(dir, "copies");
  assert.equal(first.code, 0, first.stderr);
  assert.deepEqual(withStatus(first.summary, "ran"), ["copies"]);
  assert.equal(first.stderr.includes("warning"), false, `no warning: ${first.stderr}`);
  rmSync(join(dir, "copies"), { recursive: true });
  const restored = buildLimited(dir, "copies");
  assert.equal(restored.code, 0, restored.stderr);
  assert.deepEqual(withStatus(restored.summary, "restored"), ["copies"]);
  assert.equal(readdirSync(join(dir, "copies")).length, N);
  assert.equal(readFileSync(join(dir, "copies/f09999.txt"), "utf8"), "line 9999\n");
});
