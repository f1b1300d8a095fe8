// `--assume-fresh PATTERN` at the command line (docs/flowfile.md): the
// pattern's syntax, the warning for one that matches nothing, make's -n and
// -q answering from the same decision, and `flow status --plan json` naming
// the reasons (valid against docs/status-plan.schema.json). The scenario
// with a real pipeline is recipe-phased-analysis.test.ts.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { buildJson, cleanup, flow, repoRoot, writeProject } from "./support.js";

type Def = { required?: string[]; properties?: { kind?: { enum?: string[]; const?: string } } };

/** The schema's definition of a reason of this kind has exactly these fields. */
function reasonFitsSchema(reason: Record<string, unknown>): void {
  const schema = JSON.parse(readFileSync(join(repoRoot, "docs", "status-plan.schema.json"), "utf8")) as { $defs: Record<string, Def> };
  const kind = reason["kind"] as string;
  const def = Object.values(schema.$defs).find((d) => d.properties?.kind?.enum?.includes(kind) === true || d.properties?.kind?.const === kind);
  assert.ok(def, `docs/status-plan.schema.json has no reason of kind ${kind}`);
  assert.deepEqual(Object.keys(reason).sort(), [...(def.required ?? [])].sort());
}

const FLOWFILE = `all: out/b.txt
out/a.txt: a.in
\t@mkdir -p out
\tcp a.in $@
out/b.txt: out/a.txt
\ttr a-z A-Z < $< > $@
`;

describe("--assume-fresh on the command line", () => {
  let dir: string;
  before(() => {
    dir = writeProject({ Flowfile: FLOWFILE, "a.in": "hello\n" });
    const first = buildJson([], { cwd: dir });
    assert.equal(first.code, 0, first.stderr);
    // The first step's recipe changes: without the flag it would run again.
    writeFileSync(join(dir, "Flowfile"), FLOWFILE.replace("cp a.in $@", "cat a.in > $@"));
  });
  after(() => cleanup(dir));

  test("a pattern has at most one %; one that matches no task is warned about", () => {
    const bad = flow(["build", "--assume-fresh", "out/%/%.txt"], { cwd: dir });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--assume-fresh 'out\/%\/%.txt': a pattern has at most one %/);
    const typo = flow(["status", "--assume-fresh", "out/c%", "--assume-fresh", "out/a%"], { cwd: dir });
    assert.match(typo.stderr, /warning ASSUME_FRESH_UNMATCHED: --assume-fresh 'out\/c%' matches no task/);
    assert.doesNotMatch(typo.stderr, /'out\/a%' matches no task/);
  });

  test("-n and -q answer from the same decision: nothing would run", () => {
    assert.equal(flow(["build", "-q"], { cwd: dir }).code, 1, "without the flag the edited step would run");
    assert.equal(flow(["build", "-q", "--assume-fresh", "out/a.txt"], { cwd: dir }).code, 0);
    const dry = flow(["build", "-n", "--assume-fresh", "out/%"], { cwd: dir });
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(dry.stdout, "");
  });

  test("status --plan json gives the reasons assumed and cannot-assume, as the schema describes them", () => {
    const plan = (args: string[]) => {
      const r = flow(["status", "--plan", "json", ...args], { cwd: dir });
      const doc = JSON.parse(r.stdout) as { tasks: { name: string; state: string; reason: { kind: string; paths?: string[] } | null }[] };
      for (const t of doc.tasks) if (t.reason !== null) reasonFitsSchema(t.reason);
      return { code: r.code, a: doc.tasks.find((t) => t.name === "out/a.txt") };
    };
    const ok = plan(["--assume-fresh", "out/a.txt"]);
    assert.equal(ok.code, 0);
    assert.deepEqual([ok.a?.state, ok.a?.reason?.kind], ["fresh", "assumed"]);
    const text = flow(["status", "--assume-fresh", "out/a.txt"], { cwd: dir });
    assert.match(text.stdout, /^flow status: 3 tasks, all fresh \(1 assumed\): nothing to do\n {2}fresh +out\/a\.txt +assumed fresh \(--assume-fresh\)/);

    writeFileSync(join(dir, "out/a.txt"), "");
    const bRan = buildJson(["--assume-fresh", "out/a.txt"], { cwd: dir });
    assert.deepEqual(bRan.summary.tasks.find((t) => t.name === "out/b.txt")?.status, "ran", "b reads the bytes on disk (now none)");
    assert.equal(readFileSync(join(dir, "out/b.txt"), "utf8"), "");

    cleanup(join(dir, "out/a.txt"));
    const gone = plan(["--assume-fresh", "out/a.txt"]);
    assert.equal(gone.code, 1);
    assert.deepEqual([gone.a?.state, gone.a?.reason], ["stale", { kind: "cannot-assume", text: "cannot be assumed fresh (--assume-fresh): not a file on disk: out/a.txt (the build will fail)", paths: ["out/a.txt"] }]);
  });
});
