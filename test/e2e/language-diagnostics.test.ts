// The text of every diagnostic code (docs/errors.md), as `flow build` prints
// it, against golden files test/e2e/golden/diag-*.txt, byte for byte.
// FLOW_UPDATE_GOLDEN=1 rewrites them. Lines with a duration ("ran x (0.02s)",
// the summary) are left out: they change from run to run.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { cleanup, flow, repoRoot, writeProject } from "./support.js";

const GOLDEN = join(repoRoot, "test", "e2e", "golden");

interface DiagCase {
  /** Golden file name: diag-<name>.txt */
  readonly name: string;
  readonly files: Record<string, string>;
  /** Symlinks to make: path -> link text. */
  readonly links?: Record<string, string>;
  readonly args?: string[];
  /** Exit code of flow build. */
  readonly code: number;
}

const cases: DiagCase[] = [
  { name: "FLOW001", code: 2, files: { Flowfile: "all: out.txt\n\nout.txt:\n\techo hi > $@\nthis line is nonsense\n" } },
  { name: "FLOW001-directive-typo", code: 2, files: { Flowfile: "includ config.mk\nall:\n" } },
  { name: "FLOW002", code: 2, files: { Flowfile: "SRCS := a.c b.c\nOBJS := $(patsubt %.c,%.o,$(SRCS))\n" } },
  { name: "FLOW003", code: 2, files: { Flowfile: "CC := cc\n\t$(CC) -o app main.c\n" } },
  { name: "FLOW004", code: 2, files: { Flowfile: "app: main.o util.o\n\tcc -o $@ $^\nmain.o:\n\ttouch $@\n" } },
  { name: "FLOW005", code: 2, files: { Flowfile: "a: b\n\ttouch $@\nb: c\n\ttouch $@\nc: a\n\ttouch $@\n" } },
  { name: "FLOW006", code: 2, files: { Flowfile: "all: out/a report\nout/a:\n\ttouch $@\nreport: .OUTPUTS := out/a\nreport:\n\ttouch out/a\n.PHONY: all report\n" } },
  { name: "FLOW007", code: 2, files: { Flowfile: "all: ../escape.txt\n../escape.txt:\n\ttouch $@\n" } },
  { name: "FLOW008", code: 2, files: { Flowfile: "NAME = world\nGREETING := hello $(NAME\n" } },
  { name: "FLOW009", code: 2, files: { Flowfile: "MODE = release\nifeq ($(MODE),debug)\nCFLAGS = -g\nednif\nall:\n\techo $(CFLAGS)\n" } },
  { name: "FLOW010", code: 2, files: { Flowfile: "include a.mk\nall:\n", "a.mk": "include b.mk\n", "b.mk": "include a.mk\n" } },
  {
    name: "FLOW010-settle",
    code: 2,
    files: { Flowfile: "all:\ninclude gen.mk\ngen.mk:\n\techo 'X = 1' > $@\n.ALWAYS: gen.mk\n" },
  },
  { name: "FLOW011", code: 2, files: { Flowfile: "deploy:\n\t./deploy.sh\ndeploy: .TIMEOUT := ten\n.PHONY: deploy\n" } },
  { name: "FLOW012", code: 2, args: ["tset"], files: { Flowfile: "test:\n\techo ok\n.PHONY: test\n" } },
  { name: "FLOW013", code: 2, files: { Flowfile: "ifndef TARGET_ARCH\n$(error TARGET_ARCH is not set; run flow build TARGET_ARCH=x86_64)\nendif\n" } },
  { name: "FLOW015", code: 2, files: { Flowfile: "all: site site/extra.html\nsite: .OUTPUTS := site/\nsite:\n\tmkdir -p site && touch site/index.html\nsite/extra.html:\n\ttouch $@\n.PHONY: all site\n" } },
  { name: "FLOW016", code: 2, files: { Flowfile: "include config.mk\nall:\n" } },
  { name: "FLOW016-no-flowfile", code: 2, files: { "README.md": "no Flowfile here\n" } },
  { name: "FLOW017", code: 0, files: { Flowfile: "out.txt: data/*.csv\n\tcat $^ /dev/null > $@\n" } },
  { name: "FLOW018", code: 0, files: { Flowfile: "CFLAGS := -O2\nout.txt:\n\techo $(CC) $(CFLGAS) > $@\n" } },
  { name: "FLOW019", code: 0, files: { Flowfile: "SHELL := /bin/bash\nout.txt:\n\techo hi > $@\n" } },
  { name: "FLOW020", code: 2, files: { Flowfile: "all: out/app.o\nout/app.o: app.c\n\tcc -c $< -o $@\n", "app.c": "", "build/debug/.keep": "" }, links: { out: "build/debug" } },
];

/** stdout and stderr without lines that carry a duration. */
function stable(out: string): string {
  return out
    .split("\n")
    .filter((l) => !/\(\d+\.\d+s\)$/.test(l))
    .join("\n");
}

for (const c of cases) {
  test(`diagnostic golden text: ${c.name}`, () => {
    const dir = writeProject(c.files);
    for (const [path, text] of Object.entries(c.links ?? {})) symlinkSync(text, join(dir, path));
    try {
      const r = flow(["build", ...(c.args ?? [])], { cwd: dir });
      assert.equal(r.code, c.code, `exit code; output:\n${r.stdout}${r.stderr}`);
      const actual = stable(r.stdout + r.stderr);
      const path = join(GOLDEN, `diag-${c.name}.txt`);
      if (process.env["FLOW_UPDATE_GOLDEN"] === "1") {
        mkdirSync(GOLDEN, { recursive: true });
        writeFileSync(path, actual);
      }
      assert.ok(existsSync(path), `no golden file test/e2e/golden/diag-${c.name}.txt; run the tests with FLOW_UPDATE_GOLDEN=1 to write it`);
      assert.equal(actual, readFileSync(path, "utf8"), `output differs from test/e2e/golden/diag-${c.name}.txt (FLOW_UPDATE_GOLDEN=1 rewrites it)`);
      assert.match(actual, new RegExp(c.name.slice(0, 7)), "the code is printed");
    } finally {
      cleanup(dir);
    }
  });
}

test("every code in docs/errors.md has a golden file, and every code used has a section", () => {
  const doc = readFileSync(join(repoRoot, "docs", "errors.md"), "utf8");
  const documented = [...doc.matchAll(/^## (FLOW\d{3})\b/gm)].map((m) => m[1] as string);
  const source = readFileSync(join(repoRoot, "packages", "graph", "src", "diagnostic.ts"), "utf8");
  const declared = [...source.matchAll(/"(FLOW\d{3})"/g)].map((m) => m[1] as string);
  assert.deepEqual(documented, [...new Set(declared)].sort(), "docs/errors.md has one section per code, in order");
  for (const code of documented) {
    assert.ok(cases.some((c) => c.name.startsWith(code)), `no golden case for ${code}`);
    // The example in the docs is the golden text itself, so the two cannot drift apart.
    const golden = readFileSync(join(GOLDEN, `diag-${code}.txt`), "utf8").trimEnd();
    assert.ok(doc.includes(golden), `docs/errors.md does not show test/e2e/golden/diag-${code}.txt verbatim:\n${golden}`);
  }
});
