// RELIABILITY 09: two checkouts that share one cache directory build at the
// same time, one naming it with --cache-dir, the other with FLOW_CACHE_DIR.
// Half their sources are the same (same keys: one may restore what the other
// just stored, or both may store it at once), half differ (same task names,
// other keys). Both succeed, each gets exactly its own outputs, and each
// finds all of it cached afterwards.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { buildJson, cleanup, didWork, flowAsync, tempDir, writeProject, type JsonSummary } from "../e2e/support.js";

const N = 24;
const FLOWFILE = [
  "SRCS := $(wildcard src/*.txt)",
  "OUTS := $(patsubst src/%.txt,out/%.up,$(SRCS))",
  ".PHONY: all",
  "all: out/all.txt",
  "out/all.txt: $(OUTS)",
  "\tcat $^ > $@",
  "out/%.up: src/%.txt",
  "\t@mkdir -p out",
  "\tsleep 0.05; tr a-z A-Z < $< > $@",
  "",
].join("\n");

function checkout(flavour: string): string {
  const files: Record<string, string> = { Flowfile: FLOWFILE };
  for (let i = 0; i < N; i++) files[`src/f${String(i).padStart(2, "0")}.txt`] = i % 2 === 0 ? `shared ${i}\n` : `${flavour} ${i}\n`;
  return writeProject(files);
}

function expected(flavour: string): string {
  return Array.from({ length: N }, (_, i) => (i % 2 === 0 ? `SHARED ${i}\n` : `${flavour.toUpperCase()} ${i}\n`)).join("");
}

test("RELIABILITY 09: two checkouts sharing one cache build at once: both succeed with their own outputs", async () => {
  const cache = tempDir("flow-shared-cache-");
  const left = checkout("left");
  const right = checkout("right");
  try {
    const a = flowAsync(["build", "--json", "-j", "3", "--cache-dir", cache], { cwd: left });
    const b = flowAsync(["build", "--json", "-j", "3"], { cwd: right, env: { FLOW_CACHE_DIR: cache } });
    const [ra, rb] = await Promise.all([a.done, b.done]);
    for (const [r, dir, flavour] of [[ra, left, "left"], [rb, right, "right"]] as const) {
      assert.equal(r.code, 0, `${flavour}: ${r.stderr}`);
      const s = JSON.parse(r.stdout) as JsonSummary;
      assert.equal(s.ok, true);
      assert.equal(didWork(s).length, N + 1, `${flavour}: every task ran or was restored`);
      assert.doesNotMatch(r.stderr, /warning/, `${flavour}: no warning from sharing the cache`);
      assert.equal(readFileSync(join(dir, "out/all.txt"), "utf8"), expected(flavour), `${flavour} got its own outputs`);
    }
    // Both checkouts' records went to the one cache: each finds everything there.
    for (const [dir, flavour, args] of [[left, "left", ["--cache-dir", cache]], [right, "right", []]] as const) {
      const again = buildJson([...args], { cwd: dir, env: { FLOW_CACHE_DIR: cache } });
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(didWork(again.summary), [], `${flavour}: all up to date`);
    }
    // The right checkout's sources moved to the left one's: everything comes from the shared cache.
    for (let i = 1; i < N; i += 2) writeProject({ [`src/f${String(i).padStart(2, "0")}.txt`]: `left ${i}\n` }, right);
    const moved = buildJson([], { cwd: right, env: { FLOW_CACHE_DIR: cache } });
    assert.equal(moved.code, 0, moved.stderr);
    assert.equal(moved.summary.tasks.filter((t) => t.status === "ran").length, 0, "restored from the left checkout's records, nothing ran");
    assert.equal(readFileSync(join(right, "out/all.txt"), "utf8"), expected("left"));
  } finally {
    cleanup(left);
    cleanup(right);
    cleanup(cache);
  }
});
