// What a bad-input case may not change: every entry under the project
// directory, with its size and modification time (lstat: links are not followed).
import { lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";

/** Sorted lines `path kind size mtime`, for every entry under `dir` (not `dir` itself). */
export function treeSnapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(dir, rel))) {
      const p = rel === "" ? name : `${rel}/${name}`;
      const st = lstatSync(join(dir, p));
      const kind = st.isDirectory() ? "dir" : st.isSymbolicLink() ? "link" : "file";
      out.push(`${p} ${kind} ${st.size} ${st.mtimeMs}`);
      if (kind === "dir") walk(p);
    }
  };
  walk("");
  return out.sort();
}
