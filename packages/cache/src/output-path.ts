// Output paths as the cache stores them: relative to the project root, POSIX
// separators, no empty, "." or ".." segments. One spelling per path, so two
// records of the same tree compare equal and nothing can name a place
// outside the root.
import { posix } from "node:path";

export function isSafeRelativePath(p: string): boolean {
  if (p === "" || p.startsWith("/") || p.includes("\0")) return false;
  return p.split("/").every((seg) => seg !== "" && seg !== "." && seg !== "..");
}

/**
 * True when a link at `linkPath` (a safe relative path) with this text stays
 * inside the root. Absolute targets are refused even when they point inside:
 * the record must restore the same in every checkout.
 */
export function isSafeSymlinkTarget(linkPath: string, target: string): boolean {
  if (target === "" || target.startsWith("/") || target.includes("\0")) return false;
  const resolved = posix.normalize(posix.join(posix.dirname(linkPath), target));
  return resolved !== ".." && !resolved.startsWith("../") && !resolved.startsWith("/");
}

/**
 * Orders paths segment by segment (then by UTF-16 code units within a
 * segment), so a directory is immediately followed by everything below it:
 * plain string order would put "a-b" between "a" and "a/c".
 */
export function comparePaths(a: string, b: string): number {
  const as = a.split("/");
  const bs = b.split("/");
  const n = Math.min(as.length, bs.length);
  for (let i = 0; i < n; i++) {
    const x = as[i] as string;
    const y = bs[i] as string;
    if (x !== y) return x < y ? -1 : 1;
  }
  return as.length - bs.length;
}
