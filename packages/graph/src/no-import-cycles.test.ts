// No source file of cache, graph or cli may import itself back through a
// chain of relative imports (issue 13). Type-only imports count too: they are
// erased at runtime, but a cycle through them still means neither file can be
// read or moved alone, and one edit that adds a value import turns it into a
// load-order bug (a `const` read before its module has run).
import { strict as assert } from "node:assert";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import ts from "typescript";

// dist/no-import-cycles.test.js -> the repository root.
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const packages = ["cache", "graph", "cli"];

/** Relative specifiers of every import, export-from and dynamic import in `text`. */
export function relativeImports(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      if (ts.isStringLiteral(node.moduleSpecifier)) found.push(node.moduleSpecifier.text);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] !== undefined &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      found.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found.filter((s) => s.startsWith("./") || s.startsWith("../"));
}

/**
 * Every elementary cycle's representative in `edges`, each as the list of
 * files from its smallest member back round to it (`a -> b -> a`). Found with
 * a depth-first search per strongly connected component, so each cycle is
 * named whole rather than as "a file is on some cycle".
 */
export function findCycles(edges: Map<string, string[]>): string[][] {
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const nodes = [...edges.keys()].sort();
  for (const start of nodes) {
    // Only cycles whose smallest member is `start`, so each is reported once.
    const path: string[] = [start];
    const onPath = new Set([start]);
    const walk = (from: string): void => {
      for (const to of edges.get(from) ?? []) {
        if (to === start) {
          const key = path.join(" -> ");
          if (!seen.has(key)) {
            seen.add(key);
            cycles.push([...path, start]);
          }
        } else if (to > start && !onPath.has(to) && edges.has(to)) {
          path.push(to);
          onPath.add(to);
          walk(to);
          onPath.delete(to);
          path.pop();
        }
      }
    };
    walk(start);
  }
  return cycles.sort((x, y) => (x.join(" ") < y.join(" ") ? -1 : 1));
}

function sourceGraph(): Map<string, string[]> {
  const edges = new Map<string, string[]>();
  for (const pkg of packages) {
    const src = join(root, "packages", pkg, "src");
    for (const name of (readdirSync(src, { recursive: true }) as string[]).filter((n) => n.endsWith(".ts")).sort()) {
      const file = join(src, name);
      const targets = relativeImports(file, readFileSync(file, "utf8")).map((spec) =>
        relative(root, resolve(dirname(file), spec.replace(/\.js$/, ".ts"))),
      );
      edges.set(relative(root, file), [...new Set(targets)].sort());
    }
  }
  return edges;
}

test("findCycles names every cycle whole, once", () => {
  const edges = new Map([
    ["a", ["b"]],
    ["b", ["c", "a"]],
    ["c", ["a"]],
    ["d", ["d"]],
    ["e", ["a"]],
  ]);
  assert.deepEqual(findCycles(edges), [["a", "b", "a"], ["a", "b", "c", "a"], ["d", "d"]]);
});

test("relativeImports sees type-only, re-export and dynamic imports", () => {
  const text = [
    'import { a } from "./a.js";',
    'import type { B } from "./b.js";',
    'import { type C } from "./c.js";',
    'export { d } from "./d.js";',
    'const e = await import("./e.js");',
    'import { f } from "node:fs";',
  ].join("\n");
  assert.deepEqual(relativeImports("x.ts", text), ["./a.js", "./b.js", "./c.js", "./d.js", "./e.js"]);
});

test("no import cycle among the src/ files of cache, graph and cli", () => {
  const edges = sourceGraph();
  assert.ok(edges.size > 50, `expected the packages' sources under ${root}, found ${edges.size} files`);
  const cycles = findCycles(edges).map((c) => c.join(" -> "));
  assert.deepEqual(cycles, [], `import cycles (move the shared piece into its own file):\n  ${cycles.join("\n  ")}`);
});

/**
 * The folder-level graph of one package's production sources: an edge from a
 * folder to each other folder one of its files imports. The package's entry
 * (`index.ts`, which re-exports every folder) and test-only files are left
 * out: they sit above everything by design.
 */
export function folderGraph(edges: Map<string, string[]>, pkgSrc: string): Map<string, string[]> {
  const folderOf = (file: string): string => dirname(relative(pkgSrc, file)) || ".";
  const isProduction = (file: string): boolean =>
    file.startsWith(pkgSrc + "/") && !/\.test\.ts$|\/test-support\.ts$|\/fuzz\/|\/index\.ts$|\/main\.ts$/.test(file);
  const folders = new Map<string, Set<string>>();
  for (const [from, tos] of edges) {
    if (!isProduction(from)) continue;
    const f = folderOf(from);
    const set = folders.get(f) ?? new Set<string>();
    folders.set(f, set);
    for (const to of tos) if (isProduction(to) && folderOf(to) !== f) set.add(folderOf(to));
  }
  return new Map([...folders].map(([f, s]) => [f, [...s].sort()]));
}

test("folderGraph sees an edge between folders, not within one or from index.ts", () => {
  const edges = new Map([
    ["packages/x/src/index.ts", ["packages/x/src/a/a.ts"]],
    ["packages/x/src/a/a.ts", ["packages/x/src/a/b.ts", "packages/x/src/d.ts"]],
    ["packages/x/src/a/b.ts", ["packages/x/src/c/c.ts"]],
    ["packages/x/src/c/c.ts", ["packages/x/src/a/a.ts"]],
    ["packages/x/src/a/b.test.ts", ["packages/x/src/c/c.ts"]],
  ]);
  const g = folderGraph(edges, "packages/x/src");
  assert.deepEqual(Object.fromEntries(g), { a: [".", "c"], c: ["a"] });
  assert.deepEqual(findCycles(g), [["a", "c", "a"]]);
});

// The folders are the architecture (graph: reader <- graph <- build <- plan
// <- explain; cli: project, render, run, clean <- commands): a file that
// imports "up" a layer makes two folders one, whatever the file names say.
test("the folders of each package import one way (no cycle between folders)", () => {
  const edges = sourceGraph();
  for (const pkg of packages) {
    const folders = folderGraph(edges, join("packages", pkg, "src"));
    if (pkg !== "cache") assert.ok(folders.size >= 4, `packages/${pkg}/src: expected its sub-folders, found ${[...folders.keys()].join(", ")}`);
    const cycles = findCycles(folders).map((c) => c.join(" -> "));
    assert.deepEqual(cycles, [], `packages/${pkg}/src: folders import each other (move the shared file down a layer):\n  ${cycles.join("\n  ")}`);
  }
});
