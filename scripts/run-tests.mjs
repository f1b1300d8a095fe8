#!/usr/bin/env node
// Runs every compiled test file with Node's test runner. Node 20's --test
// takes no globs, so the files are listed here. Test processes get
// --no-concurrent-recompilation: with lmdb and friends loaded, Node can hang at
// exit without it (see docs/architecture.md).
//   node scripts/run-tests.mjs           all tests
//   node scripts/run-tests.mjs --unit    package unit tests only
//   node scripts/run-tests.mjs PATTERN   files whose path contains PATTERN
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(fileURLToPath(import.meta.url), "..", "..");
const args = process.argv.slice(2);
const unitOnly = args.includes("--unit");
const filters = args.filter((a) => !a.startsWith("--"));

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

// Package tests compile into dist-test/ (tsconfig.test.json), not the published dist/.
const dirs = ["packages/cache/dist-test", "packages/graph/dist-test", "packages/cli/dist-test"];
if (!unitOnly) dirs.push("test/dist");
let files = dirs.flatMap((d) => walk(join(root, d), [])).sort();
if (filters.length > 0) files = files.filter((f) => filters.some((p) => f.includes(p)));
if (files.length === 0) {
  console.error("run-tests: no compiled test files found; run `npm run build` first");
  process.exit(1);
}
console.log(`run-tests: ${files.length} test files`);
const r = spawnSync(
  process.execPath,
  ["--no-concurrent-recompilation", "--test", "--test-concurrency=2", ...files.map((f) => relative(root, f))],
  { cwd: root, stdio: "inherit" },
);
process.exit(r.status ?? 1);
