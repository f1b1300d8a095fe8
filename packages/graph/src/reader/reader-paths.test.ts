// The reader's short path for plain rule lines (Reader.plainRule) must give
// what the general path gives: the same model, warnings and errors, to the
// column. Every input here is read both ways and the results compared.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { Diagnostic } from "../diagnostic.js";
import { readFlowfileWith, type ReadHost } from "./flowfile-reader.js";
import { loadSeeds, makeCase, type FuzzInput } from "../fuzz/fuzz-cases.js";

const repoRoot = join(fileURLToPath(import.meta.url), "..", "..", "..", "..", "..");

/** Everything reading gives, as plain data. */
function readBothWays(input: FuzzInput): [unknown, unknown] {
  const once = (plainLines: boolean) => {
    const texts: Record<string, string> = { ...input.texts, Flowfile: input.flowfile };
    const warnings: Diagnostic[] = [];
    const shell: string[] = [];
    const host: ReadHost = {
      readText: (p) => texts[p],
      glob: (pattern) => Object.keys(texts).filter((f) => f.endsWith(pattern.replace(/^.*\*/, ""))).sort(),
      shell: (command) => {
        shell.push(command);
        return command.startsWith("echo ") ? command.slice(5) : "";
      },
      warn: (d) => void warnings.push(d),
    };
    const r = readFlowfileWith(host, { file: "Flowfile", missingIncludes: "defer", env: { HOME: "/home/u" }, goals: input.goals, limits: { maxSteps: 200_000, maxLength: 1 << 20 } }, { plainLines });
    if (!r.ok) return { error: r.error, warnings, shell };
    const m = r.value;
    return {
      rules: m.rules,
      targetVars: m.targetVars,
      exported: m.exported,
      files: m.files,
      includes: m.includes,
      globals: m.globals.names().map((n) => [n, m.globals.own(n)]),
      unset: m.expander.unset,
      probed: m.expander.probed,
      warnings,
      shell,
    };
  };
  return [once(true), once(false)];
}

const plain = (flowfile: string): FuzzInput => ({ flowfile, texts: {}, files: [], goals: [] });

describe("plain rule lines read like any other line", () => {
  test("hand-written cases: words, blanks, continuations, conditionals, eval, special names", () => {
    const cases = [
      "all: a b c\n\techo $@\na: \n\ttouch a\nb c:\td  e\t\n",
      "out/t0: src/a src/b \\\n  src/c \\\n\tsrc/d\n\tcat $^ > $@\n",
      "x:\\\ny\n",
      "a: b \\",
      "A = 1\r\nall: x\r\n\techo $(A)\r\n",
      "ifeq (a,b)\nhidden: x\n\techo no\nelse\nshown: y\n\techo yes\nendif\n",
      "ifdef NOPE\ndefine X\nin: define\nendef\nendif\nafter: z\n",
      "$(eval e1: e2)\n$(eval e3: e4\n\techo)\n",
      "constructor: x\n\techo\ntoString: y\n__proto__: z\nhasOwnProperty valueOf: q\nx constructor: y\n",
      ".IGNORE: a\n.DEFAULT: b\n.SUFFIXES: .q\n.q.r:\n\tcp\n",
      "a: b\n\techo\n  c: d\n    indented recipe\n",
      "\tstray: recipe\n",
      "all: x\nx:\n\t@echo\nx: y\ny:\n",
      "ifeq: x\nelse2: y\nendef2 z: w\n",
      "a b c: d\n\techo $@\n",
      "a: b\n# comment\n\n\t\nb:\n",
      `all: ${Array.from({ length: 500 }, (_, i) => `w${i}`).join(" \\\n  ")}\n`,
    ];
    for (const flowfile of cases) {
      const [fast, general] = readBothWays(plain(flowfile));
      assert.deepStrictEqual(fast, general, JSON.stringify(flowfile));
    }
  });

  test("the repository's recipes and make-compat cases, and mutations of them", () => {
    const seeds = loadSeeds(repoRoot);
    assert.ok(seeds.length >= 30, `seed projects found: ${seeds.length}`);
    for (const s of seeds) {
      const [fast, general] = readBothWays({ flowfile: s.flowfile, texts: s.texts, files: s.files, goals: [] });
      assert.deepStrictEqual(fast, general, s.name);
    }
    for (let i = 0; i < 1500; i++) {
      const input = makeCase(424242, i, seeds);
      const [fast, general] = readBothWays(input);
      assert.deepStrictEqual(fast, general, `case ${i}: ${JSON.stringify(input.flowfile)}`);
    }
  });
});
