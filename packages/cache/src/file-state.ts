// What the cache reports about one path on disk.
import type { ContentHash } from "./content-hash.js";

export type FileState =
  /** `mode` is the permission bits only (st_mode & 0o777). */
  | { kind: "file"; hash: ContentHash; size: number; mode: number }
  | { kind: "dir" }
  /** Only lstat-based APIs (outputs) report links; inputs follow them. */
  | { kind: "symlink"; target: string }
  | { kind: "missing" };
