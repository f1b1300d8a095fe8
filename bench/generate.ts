import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { BenchGraph } from "./graph.js";
import { makefileText } from "./makefileText.js";
import { ninjaText } from "./ninjaText.js";

/** The bytes of source file `index`: ~64 bytes, distinct per file. */
export function sourceContent(index: number): string {
  // A cheap deterministic mix so files differ in more than their number.
  let x = (index + 1) * 2654435761;
  const words: string[] = [];
  for (let i = 0; i < 4; i++) {
    x = (x ^ (x >>> 15)) * 2246822519;
    x = (x ^ (x >>> 13)) >>> 0;
    words.push(x.toString(16).padStart(8, "0"));
  }
  return `source ${index} ${words.join(" ")}\n`;
}

/**
 * Writes the project into `dir` (which must not exist): the sources, the
 * Flowfile, the same text as Makefile, build.ninja, and an empty out/ (make
 * and ninja do not create output directories, and the recipes are kept free
 * of `mkdir -p` so every tool spawns one process per task).
 */
export function generate(dir: string, graph: BenchGraph): void {
  mkdirSync(join(dir, "out"), { recursive: true });
  let lastDir = "";
  graph.sources.forEach((path, index) => {
    const parent = dirname(path);
    if (parent !== lastDir) {
      mkdirSync(join(dir, parent), { recursive: true });
      lastDir = parent;
    }
    writeFileSync(join(dir, path), sourceContent(index));
  });
  const text = makefileText(graph);
  writeFileSync(join(dir, "Flowfile"), text);
  writeFileSync(join(dir, "Makefile"), text);
  writeFileSync(join(dir, "build.ninja"), ninjaText(graph));
}

/**
 * Copies the project at `from` to `to` (which must not exist) with hard links,
 * fast even at a million files, except `editFile`, which gets its own inode:
 * the edit and touch scenarios change it in one copy and must not reach the others.
 */
export function cloneProject(from: string, to: string, editFile: string): void {
  rmSync(to, { recursive: true, force: true });
  execFileSync("cp", ["-al", from, to]);
  const target = join(to, editFile);
  copyFileSync(target, `${target}.tmp`);
  renameSync(`${target}.tmp`, target);
}
