// Each package's dist/ is what gets published and what the flow binary
// loads: it must hold only files a production entry point reaches (issue 13).
// Tests and their helpers (test-support.ts, fuzz-*.ts, fixtures.ts) compile
// into dist-test/ through tsconfig.test.json instead.
import { strict as assert } from "node:assert";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import ts from "typescript";

// dist-test/dist-production-only.test.js -> the repository root.
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

/**
 * Relative modules `text` loads: imports, export-from, dynamic imports, and
 * `new URL("./x.js", import.meta.url)` (how a worker or helper process file
 * is named: fuzz-worker.js, spawn-helper.js).
 */
export function referencedModules(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.JS);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      if (ts.isStringLiteral(node.moduleSpecifier)) found.push(node.moduleSpecifier.text);
    } else if (
      (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) ||
      (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === "URL")
    ) {
      const first = node.arguments?.[0];
      if (first !== undefined && ts.isStringLiteralLike(first)) found.push(first.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found.filter((s) => (s.startsWith("./") || s.startsWith("../")) && s.endsWith(".js"));
}

/** Files under `dist` that no module reachable from `entries` loads or names a type of (a .d.ts and .map go with their .js). */
export function unreached(dist: string, entries: string[]): string[] {
  const reached = new Set<string>();
  const queue = entries.map((e) => resolve(e));
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (reached.has(file)) continue;
    reached.add(file);
    // The .d.ts keeps the type-only imports the .js drops: a module of types
    // (events.js is `export {}`) is published for its declarations.
    for (const f of [file, file.replace(/\.js$/, ".d.ts")]) {
      if (!existsSync(f)) continue;
      for (const spec of referencedModules(f, readFileSync(f, "utf8"))) queue.push(resolve(dirname(file), spec));
    }
  }
  const stray: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (!reached.has(p.replace(/(\.d\.ts|\.js)(\.map)?$/, ".js"))) stray.push(p);
    }
  };
  walk(dist);
  return stray.sort();
}

test("referencedModules follows imports, re-exports, dynamic imports and new URL", () => {
  const text = [
    'import { a } from "./a.js";',
    'export { b } from "./b.js";',
    'const c = await import("./c.js");',
    'new Worker(new URL("./d.js", import.meta.url));',
    'import { e } from "node:fs";',
  ].join("\n");
  assert.deepEqual(referencedModules("x.js", text), ["./a.js", "./b.js", "./c.js", "./d.js"]);
});

test("each package's dist/ holds only files a production entry point reaches", () => {
  // Every entry point a package.json exports (`@flow/cache/remote` too), and bin/flow.js's dist/main.js.
  const exported = (pkg: string): string[] => {
    const manifest = JSON.parse(readFileSync(join(root, "packages", pkg, "package.json"), "utf8")) as { exports?: Record<string, { default?: string }> };
    return Object.values(manifest.exports ?? {}).flatMap((e) => (e.default !== undefined ? [join("packages", pkg, e.default)] : []));
  };
  const entries: Record<string, string[]> = {
    cache: exported("cache"),
    graph: exported("graph"),
    cli: [...exported("cli"), "packages/cli/dist/main.js"],
  };
  assert.ok(entries["cache"]?.includes(join("packages/cache/dist/remote/index.js")), "the cache package exports @flow/cache/remote");
  const stray: string[] = [];
  for (const [pkg, files] of Object.entries(entries)) {
    const dist = join(root, "packages", pkg, "dist");
    assert.ok(existsSync(join(dist, "index.js")), `${dist} is not built: run npm run build`);
    stray.push(...unreached(dist, files.map((f) => join(root, f))).map((p) => p.slice(root.length + 1)));
  }
  assert.deepEqual(stray, [], `dist/ files no production entry point reaches (tests or their helpers?):\n  ${stray.join("\n  ")}`);
});
