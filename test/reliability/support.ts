// Helpers shared by the reliability tests: a generated project of N
// independent tasks, its outputs, and damage to files inside its cache.
import { closeSync, fstatSync, lstatSync, openSync, readdirSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { writeProject } from "../e2e/support.js";

/** N tasks out/fI.txt <- src/fI.txt, all needed by `all`. */
export function manyTasks(n: number): string {
  const outs = Array.from({ length: n }, (_, i) => `out/f${i}.txt`);
  const files: Record<string, string> = {
    Flowfile: `.PHONY: all\nall: ${outs.join(" ")}\n\nout/%.txt: src/%.txt\n\t@mkdir -p $(@D)\n\tcat $< > $@\n\techo built >> $@\n`,
  };
  for (let i = 0; i < n; i++) files[`src/f${i}.txt`] = `source ${i}\n`;
  return writeProject(files);
}

/** Every file under out/, path -> content. */
export function outputs(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const p = join(rel, name);
      if (lstatSync(join(dir, p)).isDirectory()) walk(p);
      else out[p] = readFileSync(join(dir, p), "utf8");
    }
  };
  walk("out");
  return out;
}

/** A deterministic byte stream (xorshift32), so a failing case can be replayed from its seed. */
export function pseudoRandom(seed: number, length: number): Buffer {
  let s = seed >>> 0 || 1;
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >> 17;
    s ^= s << 5;
    s >>>= 0;
    b[i] = s & 255;
  }
  return b;
}

/** Writes bytes at an offset of a regular file (lstat first: never through a link). */
export function overwrite(file: string, at: number, bytes: Buffer): void {
  if (!lstatSync(file).isFile()) throw new Error(`${file} is not a regular file`);
  const fd = openSync(file, "r+");
  try {
    writeSync(fd, bytes, 0, bytes.length, at);
  } finally {
    closeSync(fd);
  }
}

export function fileSize(file: string): number {
  const fd = openSync(file, "r");
  try {
    return fstatSync(fd).size;
  } finally {
    closeSync(fd);
  }
}
