// `flow status --plan json|dot|mermaid|svg`: the JSON validates against
// docs/status-plan.schema.json (with the small validator below: the schema
// uses few keywords, and the repository adds no dependency for this), Graphviz
// accepts the dot, the mermaid is well formed, and the SVG is well-formed XML
// with a node per task in its state.
//
// The dot test needs Graphviz. The set-up installs it with apt-get when `dot`
// is not on PATH, and the test is skipped, saying why, when that fails.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { buildJson, cleanup, copyRecipe, flow, repoRoot, writeProject } from "./support.js";

type Schema = Record<string, unknown>;

/**
 * Validates `value` against a JSON Schema using only: $ref (local), type,
 * properties, required, additionalProperties (false), items, enum, const,
 * minimum, pattern, oneOf. Any other keyword throws, so the schema cannot
 * quietly outgrow the validator. Returns the problems found, with their paths.
 */
export function validate(root: Schema, value: unknown): string[] {
  const ANNOTATIONS = new Set(["$schema", "$id", "$defs", "title", "description"]);
  const problems: string[] = [];
  const typeOf = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "array" : Number.isInteger(v) ? "integer" : typeof v);
  const resolveRef = (ref: string): Schema => {
    assert.ok(ref.startsWith("#/"), `only local refs: ${ref}`);
    let s: unknown = root;
    for (const part of ref.slice(2).split("/")) s = (s as Schema)[part];
    assert.ok(s && typeof s === "object", `unresolved ref ${ref}`);
    return s as Schema;
  };
  const check = (schema: Schema, v: unknown, path: string, out: string[]): void => {
    for (const [k, s] of Object.entries(schema)) {
      switch (k) {
        case "$ref":
          check(resolveRef(s as string), v, path, out);
          break;
        case "type": {
          const types = Array.isArray(s) ? (s as string[]) : [s as string];
          const t = typeOf(v);
          if (!types.includes(t) && !(t === "integer" && types.includes("number"))) out.push(`${path}: ${t} is not ${types.join(" or ")}`);
          break;
        }
        case "properties":
          if (typeOf(v) === "object") {
            for (const [p, ps] of Object.entries(s as Record<string, Schema>)) {
              if (p in (v as object)) check(ps, (v as Record<string, unknown>)[p], `${path}.${p}`, out);
            }
          }
          break;
        case "required":
          if (typeOf(v) === "object") for (const p of s as string[]) if (!(p in (v as object))) out.push(`${path}: missing ${p}`);
          break;
        case "additionalProperties":
          assert.equal(s, false, "additionalProperties: only false is supported");
          if (typeOf(v) === "object") {
            const known = Object.keys((schema["properties"] as object | undefined) ?? {});
            for (const p of Object.keys(v as object)) if (!known.includes(p)) out.push(`${path}: unexpected property ${p}`);
          }
          break;
        case "items":
          if (Array.isArray(v)) v.forEach((x, i) => check(s as Schema, x, `${path}[${i}]`, out));
          break;
        case "enum":
          if (!(s as unknown[]).includes(v)) out.push(`${path}: ${JSON.stringify(v)} is not one of ${JSON.stringify(s)}`);
          break;
        case "const":
          if (v !== s) out.push(`${path}: ${JSON.stringify(v)} is not ${JSON.stringify(s)}`);
          break;
        case "minimum":
          if (typeof v === "number" && v < (s as number)) out.push(`${path}: ${v} < ${String(s)}`);
          break;
        case "pattern":
          if (typeof v === "string" && !new RegExp(s as string, "u").test(v)) out.push(`${path}: ${JSON.stringify(v)} does not match ${String(s)}`);
          break;
        case "oneOf": {
          const matching = (s as Schema[]).filter((alt) => {
            const sub: string[] = [];
            check(alt, v, path, sub);
            return sub.length === 0;
          });
          if (matching.length !== 1) out.push(`${path}: matches ${matching.length} of the oneOf alternatives, not exactly 1`);
          break;
        }
        default:
          assert.ok(ANNOTATIONS.has(k), `the validator does not support the keyword '${k}'`);
      }
    }
  };
  check(root, value, "$", problems);
  return problems;
}

const schema = JSON.parse(readFileSync(join(repoRoot, "docs", "status-plan.schema.json"), "utf8")) as Schema;

/** A project whose plan holds every state, and names that need escaping in dot and mermaid. */
const MIXED = `
.PHONY: all
all: out/final out/<odd>.txt out/q"uote.txt out/hash\\#1.txt
out/a.txt: a.src
\t@mkdir -p out
\tcp a.src $@
out/b.txt: b.src
\t@mkdir -p out
\tcp b.src $@
out/final: out/a.txt out/b.txt
\tcat out/a.txt out/b.txt > $@
out/<odd>.txt:
\t@mkdir -p out
\ttouch 'out/<odd>.txt'
out/q"uote.txt:
\t@mkdir -p out
\ttouch 'out/q"uote.txt'
out/hash\\#1.txt: b.src
\t@mkdir -p out
\ttouch 'out/hash#1.txt'
`;

describe("flow status --plan json", () => {
  let dir: string;
  before(() => {
    dir = writeProject({ Flowfile: MIXED, "a.src": "a\n", "b.src": "b\n" });
    const b = buildJson([], { cwd: dir });
    assert.equal(b.code, 0, b.stdout + b.stderr);
    writeFileSync(join(dir, "a.src"), "a2\n"); // out/a.txt stale, out/final waiting
    writeFileSync(join(dir, "out/<odd>.txt"), "not what was built"); // cached
  });
  after(() => cleanup(dir));

  test("validates against its schema, with every state and the input change in detail", () => {
    const r = flow(["status", "--plan", "json"], { cwd: dir });
    assert.equal(r.code, 1, r.stderr);
    const doc = JSON.parse(r.stdout) as {
      counts: Record<string, number>;
      tasks: { name: string; state: string; key: string | null; reason: { kind: string; inputs?: unknown[] } | null }[];
      edges: { from: string; to: string }[];
    };
    assert.deepEqual(validate(schema, doc), []);
    const state = Object.fromEntries(doc.tasks.map((t) => [t.name, t.state]));
    assert.deepEqual(state, {
      "out/a.txt": "stale",
      "out/b.txt": "fresh",
      "out/final": "waiting",
      "out/<odd>.txt": "cached",
      'out/q"uote.txt': "fresh",
      "out/hash#1.txt": "fresh",
      all: "waiting",
    });
    assert.deepEqual(doc.counts, { stale: 1, waiting: 2, cached: 1, fresh: 3 });
    const a = doc.tasks.find((t) => t.name === "out/a.txt");
    assert.equal(a?.reason?.kind, "input-changed");
    assert.equal((a?.reason?.inputs as { path: string }[])[0]?.path, "a.src");
    assert.equal(doc.tasks.find((t) => t.name === "out/final")?.key, null);
    assert.ok(doc.edges.some((e) => e.from === "out/a.txt" && e.to === "out/final"));
  });

  test("the validator is not vacuous: a broken document fails", () => {
    const r = flow(["status", "--plan", "json"], { cwd: dir });
    const doc = JSON.parse(r.stdout) as { tasks: Record<string, unknown>[] };
    (doc.tasks[0] as Record<string, unknown>)["state"] = "bogus";
    (doc.tasks[1] as Record<string, unknown>)["extra"] = 1;
    delete (doc as Record<string, unknown>)["edges"];
    assert.deepEqual(validate(schema, doc), [
      "$: missing edges",
      '$.tasks[0].state: "bogus" is not one of ["fresh","cached","stale","waiting"]',
      "$.tasks[1]: unexpected property extra",
    ]);
  });

  test("an empty-cache project and c-project plans validate too", () => {
    const fresh = writeProject({ Flowfile: MIXED, "a.src": "a\n", "b.src": "b\n" });
    const c = copyRecipe("c-project");
    try {
      for (const d of [fresh, c]) {
        const r = flow(["status", "--plan", "json", "all"], { cwd: d });
        assert.deepEqual(validate(schema, JSON.parse(r.stdout)), []);
      }
    } finally {
      cleanup(fresh);
      cleanup(join(c, ".."));
    }
  });

  test("generated includes: the pending plan of a fresh checkout and the settled plan after a build validate", () => {
    const d = copyRecipe("manifest-pipeline");
    try {
      const pending = flow(["status", "--plan", "json"], { cwd: d });
      assert.equal(pending.code, 1);
      assert.equal((JSON.parse(pending.stdout) as { includes: { pending: boolean } }).includes.pending, true);
      assert.deepEqual(validate(schema, JSON.parse(pending.stdout)), []);
      assert.equal(buildJson([], { cwd: d }).code, 0);
      const settled = flow(["status", "--plan", "json"], { cwd: d });
      assert.equal(settled.code, 0);
      assert.deepEqual(validate(schema, JSON.parse(settled.stdout)), []);
    } finally {
      cleanup(join(d, ".."));
    }
  });
});

/** Is `dot` runnable? If not, try to install Graphviz (as root, with apt-get); the reason when it stays missing. */
function ensureDot(): string | undefined {
  const has = () => spawnSync("dot", ["-V"], { stdio: "ignore" }).status === 0;
  if (has()) return undefined;
  const apt = (args: string[]) => spawnSync("apt-get", args, { stdio: "ignore", timeout: 600_000, env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  const install = apt(["install", "-y", "-qq", "graphviz"]);
  if (install.status !== 0) {
    apt(["update", "-qq"]);
    apt(["install", "-y", "-qq", "graphviz"]);
  }
  return has() ? undefined : "Graphviz's `dot` is not on PATH and `apt-get install -y graphviz` did not provide it (not root? no network?)";
}

describe("flow status --plan dot and mermaid", () => {
  let dir: string;
  let noDot: string | undefined;
  before(() => {
    noDot = ensureDot();
    dir = writeProject({ Flowfile: MIXED, "a.src": "a\n", "b.src": "b\n" });
    assert.equal(buildJson([], { cwd: dir }).code, 0);
    writeFileSync(join(dir, "a.src"), "a2\n");
  });
  after(() => cleanup(dir));

  test("Graphviz's dot accepts the plan and draws every node", (t) => {
    if (noDot !== undefined) {
      t.skip(noDot);
      return;
    }
    for (const args of [[], ["--expand"]]) {
      const r = flow(["status", "--plan", "dot", ...args], { cwd: dir });
      assert.equal(r.code, 1, r.stderr);
      const svg = spawnSync("dot", ["-Tsvg"], { input: r.stdout, encoding: "utf8" });
      assert.equal(svg.status, 0, `dot rejected the plan:\n${svg.stderr}\n${r.stdout}`);
      assert.equal(svg.stderr, "", "no warnings from dot");
      // Seven tasks, seven nodes, each label drawn (escaped as XML in the SVG).
      assert.equal((svg.stdout.match(/class="node"/g) ?? []).length, 7);
      for (const label of ["out/&lt;odd&gt;.txt", "out/q&quot;uote.txt", "out/hash#1.txt", "out/final"]) assert.ok(svg.stdout.includes(label), `${label} in the SVG`);
    }
  });

  test("mermaid: one flowchart, escaped labels, edges between declared nodes", () => {
    const r = flow(["status", "--plan", "mermaid"], { cwd: dir });
    assert.equal(r.code, 1, r.stderr);
    const lines = r.stdout.trimEnd().split("\n");
    assert.equal(lines[0], "flowchart TD");
    const nodes = new Set<string>();
    const edges: [string, string][] = [];
    for (const l of lines.slice(1)) {
      const node = /^ {2}(n\d+)\["([^"]*)"\]:::(stale|waiting|cached|fresh)$/.exec(l);
      const edge = /^ {2}(n\d+) --> (n\d+)$/.exec(l);
      const cls = /^ {2}classDef (stale|waiting|cached|fresh) fill:#[0-9a-f]{6},stroke:#[0-9a-f]{6},color:#000000$/.exec(l);
      assert.ok(node || edge || cls, `unexpected mermaid line: ${l}`);
      if (node) {
        assert.ok(!/[<>]/.test((node[2] as string).replace(/<br\/>/g, "")), `raw < or > in ${l}`);
        nodes.add(node[1] as string);
      }
      if (edge) edges.push([edge[1] as string, edge[2] as string]);
    }
    assert.equal(nodes.size, 7);
    for (const [a, b] of edges) assert.ok(nodes.has(a) && nodes.has(b), `edge ${a} --> ${b} between declared nodes`);
    assert.ok(r.stdout.includes('n0["out/#lt;odd#gt;.txt'), r.stdout);
    assert.ok(r.stdout.includes("out/q#quot;uote.txt"));
    assert.ok(r.stdout.includes("out/hash#35;1.txt"));
  });

  test("svg: well-formed XML, one node per task with its state's class, edges between drawn nodes", () => {
    const r = flow(["status", "--plan", "svg"], { cwd: dir });
    assert.equal(r.code, 1, r.stderr);
    assert.equal(XMLValidator.validate(r.stdout), true, r.stdout);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "", isArray: (_name, _path, _leaf, isAttribute) => !isAttribute }).parse(r.stdout) as Record<string, Record<string, unknown>[]>;
    const graph = ((doc.svg?.[0]?.g ?? []) as Record<string, unknown>[]).find((g) => g.class === "graph") as Record<string, Record<string, string>[]>;
    const nodes = Object.fromEntries((graph.g ?? []).map((g) => [g["data-node"], g.class]));
    assert.deepEqual(nodes, {
      "t:out/a.txt": "node state-stale",
      "t:out/b.txt": "node state-fresh",
      "t:out/<odd>.txt": "node state-fresh",
      't:out/q"uote.txt': "node state-fresh",
      "t:out/hash#1.txt": "node state-fresh",
      "t:out/final": "node state-waiting",
      "t:all": "node state-waiting",
    });
    const edges = (graph.path ?? []).map((p) => `${p["data-from"]} -> ${p["data-to"]}`).sort();
    assert.deepEqual(edges, [
      "t:out/<odd>.txt -> t:all",
      "t:out/a.txt -> t:out/final",
      "t:out/b.txt -> t:out/final",
      "t:out/final -> t:all",
      "t:out/hash#1.txt -> t:all",
      't:out/q"uote.txt -> t:all',
    ]);
    assert.ok(r.stdout.includes("out/&lt;odd&gt;.txt") && r.stdout.includes("out/q&quot;uote.txt"), "labels escaped");
  });
});
