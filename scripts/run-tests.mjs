#!/usr/bin/env node
// Runs every compiled test file, each in its own Node process, two at a time
// (the machine has 2 cores; FLOW_TEST_JOBS=N changes it). Node 20's --test
// takes no globs, so the files are listed here. Test processes get
// --no-concurrent-recompilation: with lmdb and friends loaded, Node can hang at
// exit without it (see docs/architecture.md).
//   node scripts/run-tests.mjs           all tests
//   node scripts/run-tests.mjs --unit    package unit tests only
//   node scripts/run-tests.mjs PATTERN   files whose path contains PATTERN
//
// Why not one `node --test` over all the files: it reports no time per file
// (its reporter sees a file's events only after the files listed before it),
// and it starts the files in name order, so a long file listed late (the
// differential test, make-compat) ran while little else did. Here the files
// run longest first (as long as the last run here found them, kept in
// node_modules/.cache/flow-run-tests.json; the known long ones first
// otherwise), each file's output is printed whole when it ends, and the run
// ends with the slowest files and the failed ones.
import { Buffer } from "node:buffer";
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(fileURLToPath(import.meta.url), "..", "..");
const args = process.argv.slice(2);
const unitOnly = args.includes("--unit");
const filters = args.filter((a) => !a.startsWith("--"));
const jobs = Number(process.env["FLOW_TEST_JOBS"] ?? Math.min(2, availableParallelism())) || 2;
const timesFile = join(root, "node_modules", ".cache", "flow-run-tests.json");
/** Long before any run was timed here (the differential test ~150 s, make-compat ~100 s). */
const KNOWN_LONG = ["test/dist/correctness/", "test/dist/make-compat/", "test/dist/reliability/18-", "test/dist/e2e/status"];

function walk(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const e of entries) {
    if (e === "node_modules") continue;
    const p = join(dir, e);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (e.endsWith(".test.js")) out.push(p);
  }
  return out;
}

function readTimes() {
  try {
    return JSON.parse(readFileSync(timesFile, "utf8"));
  } catch {
    return {};
  }
}

// Package tests compile into dist-test/ (tsconfig.test.json), not the published dist/.
const dirs = ["packages/cache/dist-test", "packages/graph/dist-test", "packages/cli/dist-test"];
if (!unitOnly) dirs.push("test/dist");
let files = dirs.flatMap((d) => walk(join(root, d), [])).map((f) => relative(root, f)).sort();
if (filters.length > 0) files = files.filter((f) => filters.some((p) => f.includes(p)));
if (files.length === 0) {
  console.error("run-tests: no compiled test files found; run `npm run build` first");
  process.exit(1);
}
const lastTimes = readTimes();
const guess = (f) => lastTimes[f] ?? (KNOWN_LONG.some((k) => f.startsWith(k)) ? 1e9 : 0);
files.sort((a, b) => guess(b) - guess(a));
console.log(`run-tests: ${files.length} test files, ${jobs} at a time`);

const tty = process.stdout.isTTY === true;
const results = [];
const started = Date.now();

function runFile(file) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, ["--no-concurrent-recompilation", `--test-reporter=${tty ? "spec" : "tap"}`, file], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, FORCE_COLOR: tty ? "1" : (process.env["FORCE_COLOR"] ?? "0") },
    });
    const out = [];
    child.stdout.on("data", (d) => out.push(d));
    child.stderr.on("data", (d) => out.push(d));
    child.on("close", (code, signal) => {
      const text = Buffer.concat(out).toString("utf8");
      const count = (what) => Number(new RegExp(`^# ${what} (\\d+)$`, "m").exec(text)?.[1] ?? (new RegExp(`^ℹ ${what} (\\d+)$`, "m").exec(text)?.[1] ?? 0));
      const r = { file, ms: Date.now() - t0, code, signal, tests: count("tests"), pass: count("pass"), fail: count("fail"), skipped: count("skipped") };
      process.stdout.write(`\n# ---- ${file}: ${(r.ms / 1000).toFixed(1)} s, exit ${code ?? signal}\n${text}`);
      results.push(r);
      resolve();
    });
  });
}

const queue = [...files];
await Promise.all(
  Array.from({ length: Math.min(jobs, queue.length) }, async () => {
    for (let f = queue.shift(); f !== undefined; f = queue.shift()) await runFile(f);
  }),
);

const failed = results.filter((r) => r.code !== 0);
const sum = (k) => results.reduce((a, r) => a + r[k], 0);
const s = (ms) => `${(ms / 1000).toFixed(1)} s`.padStart(8);
console.log(`\n# run-tests: ${results.length} files, ${sum("tests")} tests, ${sum("pass")} pass, ${sum("fail")} fail, ${sum("skipped")} skipped, in ${s(Date.now() - started).trim()} (${jobs} at a time)`);
console.log("# slowest files:");
for (const r of [...results].sort((a, b) => b.ms - a.ms).slice(0, 15)) console.log(`# ${s(r.ms)}  ${r.file}`);
for (const r of failed) console.log(`# FAILED: ${r.file} (exit ${r.code ?? r.signal})`);

// Only a run of every file rewrites the times (a filtered run keeps the others' too).
try {
  mkdirSync(dirname(timesFile), { recursive: true });
  writeFileSync(timesFile, `${JSON.stringify({ ...lastTimes, ...Object.fromEntries(results.map((r) => [r.file, r.ms])) }, null, 1)}\n`);
} catch {
  // Ordering is an optimisation: a read-only checkout runs in the default order.
}
process.exit(failed.length > 0 ? 1 : 0);
