import { posix } from "node:path";

/**
 * Paths in the graph and in keys are project-relative and POSIX, so a key is
 * the same in every checkout directory. `./a`, `x/../a` and `a` are one path.
 */
export type Normalized = { ok: true; path: string; inside: boolean } | { ok: false };

/** Normalize a path as written in the Flowfile; `root` is the absolute project root. */
export function normalizeProjectPath(written: string, root: string): Normalized {
  if (written === "") return { ok: false };
  // Most paths in a Flowfile are already normal (`src/a.c`): no posix.normalize for them.
  if (isPlainProjectPath(written)) return { ok: true, path: written, inside: true };
  let p = written;
  if (posix.isAbsolute(p)) {
    const rel = posix.relative(root, p);
    if (rel === "" || rel.startsWith("../") || rel === ".." || posix.isAbsolute(rel)) {
      return { ok: true, path: posix.normalize(p), inside: false };
    }
    p = rel;
  }
  const trailingSlash = p.endsWith("/");
  const n = posix.normalize(p);
  if (n === ".." || n.startsWith("../")) return { ok: true, path: n, inside: false };
  let out = n === "." ? "" : n;
  if (out.endsWith("/")) out = out.slice(0, -1);
  if (out === "") return { ok: false };
  return { ok: true, path: trailingSlash ? out : out, inside: true };
}

/** What posix.normalize would change or what needs the slow path: absolute, `.`/`..` segments, `//`, a trailing `/`. */
const NOT_PLAIN = /^\/|\/\/|(?:^|\/)\.\.?(?:\/|$)|\/$/;

/** A non-empty relative path that normalizes to itself, inside the root. */
export function isPlainProjectPath(written: string): boolean {
  return written !== "" && !NOT_PLAIN.test(written);
}

/**
 * isPlainProjectPath and not hasGlobChars, in one pass over the characters
 * with no regular expression: it is asked of every prerequisite (100,000 at
 * the benchmark's 10,000 tasks), and two regular expression tests each cost
 * more than the scan. Anything unusual answers false and takes the general path.
 */
export function isPlainInput(w: string): boolean {
  const n = w.length;
  if (n === 0) return false;
  let segStart = 0;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? w.charCodeAt(i) : SLASH;
    if (c === SLASH) {
      const len = i - segStart;
      // "" (a leading, doubled or trailing slash), "." and ".." segments need normalizing.
      if (len === 0) return false;
      if (w.charCodeAt(segStart) === DOT && (len === 1 || (len === 2 && w.charCodeAt(segStart + 1) === DOT))) return false;
      segStart = i + 1;
    } else if (c === STAR || c === QUESTION || c === BRACKET) {
      return false;
    }
  }
  return true;
}

const SLASH = 0x2f;
const DOT = 0x2e;
const STAR = 0x2a;
const QUESTION = 0x3f;
const BRACKET = 0x5b;

export function hasGlobChars(w: string): boolean {
  return /[*?[]/.test(w);
}
