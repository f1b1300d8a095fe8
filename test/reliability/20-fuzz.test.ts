// RELIABILITY 20: the parser and the planner survive random and mutated
// Flowfiles, end to end: the built `flow status` gives a plan or a clear
// diagnostic (exit 0, 1 or 2), never a hang, a crash or a stack trace. The
// cases are the graph fuzzer's (packages/graph/src/fuzz/fuzz-cases.ts: random
// Flowfiles, and the repository's Flowfiles and make-compat Makefiles mutated),
// from a fixed seed; packages/graph's fuzz.test.ts runs thousands in process.
// `flow status` runs no recipe; $(shell) gets a PATH with nothing in it.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { cleanup, flow, repoRoot, tempDir } from "../e2e/support.js";

interface FuzzInput {
  readonly flowfile: string;
  readonly texts: Readonly<Record<string, string>>;
  readonly files: readonly string[];
  readonly goals: readonly string[];
}
interface FuzzCases {
  loadSeeds(repoRoot: string): unknown[];
  makeCase(seed: number, index: number, seeds: readonly unknown[]): FuzzInput;
}

const SEED = 2020;
/** Cases of that seed: most fuzz cases are rejected; 11 is one that plans (the last assertion). */
const CASES = [0, 1, 3, 4, 9, 11, 12, 13];

test(`RELIABILITY 20: ${CASES.length} random and mutated Flowfiles through the built CLI: a plan or a diagnostic, never a hang or a crash`, async () => {
  const fuzz = (await import(pathToFileURL(join(repoRoot, "packages", "graph", "dist-test", "fuzz", "fuzz-cases.js")).href)) as FuzzCases;
  const seeds = fuzz.loadSeeds(repoRoot);
  assert.ok(seeds.length >= 30, `seed projects: ${seeds.length}`);
  const emptyPath = tempDir("flow-rel20-path-");
  const outcomes = new Set<number | null>();
  try {
    for (const i of CASES) {
      const c = fuzz.makeCase(SEED, i, seeds);
      const dir = tempDir("flow-rel20-");
      try {
        for (const f of c.files) put(dir, f, "x\n");
        for (const [p, text] of Object.entries(c.texts)) put(dir, p, text);
        put(dir, "Flowfile", c.flowfile);
        const r = flow(["status", ...c.goals], { cwd: dir, env: { PATH: emptyPath }, timeoutMs: 60_000 });
        const said = `case ${i} of seed ${SEED} (exit ${r.code}):\n--- Flowfile ---\n${c.flowfile}\n---\n${r.stdout}${r.stderr}`;
        assert.ok(r.code === 0 || r.code === 1 || r.code === 2, said);
        if (r.code === 2) assert.match(r.stderr, /(error|flow:) /, `${said}\nexit 2 says why`);
        assert.doesNotMatch(r.stderr, /^\s+at .+:\d+:\d+\)?$/m, `${said}\nno stack trace`);
        assert.doesNotMatch(r.stderr, /\b(TypeError|RangeError|ReferenceError|SyntaxError|internal error)\b/, said);
        outcomes.add(r.code);
      } finally {
        cleanup(dir);
      }
    }
  } finally {
    cleanup(emptyPath);
  }
  // The fixed cases reach both outcomes: the run is not all rejected (or all accepted) at the door.
  assert.ok(outcomes.has(2) && (outcomes.has(0) || outcomes.has(1)), `outcomes: ${[...outcomes].join(", ")}`);
});

function put(dir: string, rel: string, text: string): void {
  mkdirSync(dirname(join(dir, rel)), { recursive: true });
  writeFileSync(join(dir, rel), text);
}
