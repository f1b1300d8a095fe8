// What the cache reports about one path on disk.
import type { ContentHash } from "./content-hash.js";

export type FileState =
  /**
   * `mode` is the permission bits only (st_mode & 0o777). `mtimeMs`,
   * `ctimeMs` and `ino` (with `size`) are the file's identity when it was
   * looked at: see `sameFileState`.
   */
  | { kind: "file"; hash: ContentHash; size: number; mode: number; mtimeMs: number; ctimeMs: number; ino: number }
  | { kind: "dir" }
  /** Only lstat-based APIs (outputs) report links; inputs follow them. */
  | { kind: "symlink"; target: string }
  | { kind: "missing" };

/**
 * Whether a path still is what it was: the same kind and, for a file, the
 * same content and the same identity (size, mtime, ctime, inode). Content
 * alone is not enough to trust a result: an input edited and changed back
 * while a recipe ran has its old bytes again, but the recipe may have read
 * the edit. ctime cannot be set from user space, so any write shows. A
 * directory is compared by kind only (its listing is not an ingredient).
 */
export function sameFileState(before: FileState, after: FileState): boolean {
  switch (before.kind) {
    case "file":
      return (
        after.kind === "file" &&
        after.hash === before.hash &&
        after.size === before.size &&
        after.mtimeMs === before.mtimeMs &&
        after.ctimeMs === before.ctimeMs &&
        after.ino === before.ino
      );
    case "dir":
      return after.kind === "dir";
    case "symlink":
      return after.kind === "symlink" && after.target === before.target;
    case "missing":
      return after.kind === "missing";
  }
}
