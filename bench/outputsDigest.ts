import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * A digest of every file under `dir` (names and bytes, sorted), to check that
 * the tools built the same outputs. Also returns how many files there were.
 */
export function outputsDigest(dir: string): { digest: string; files: number } {
  const h = createHash("sha256");
  let files = 0;
  const walk = (rel: string): void => {
    const entries = readdirSync(join(dir, rel), { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
    for (const e of entries) {
      const path = rel === "" ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) {
        walk(path);
      } else {
        const bytes = readFileSync(join(dir, path));
        h.update(`${path}\0${bytes.length}\0`);
        h.update(bytes);
        files++;
      }
    }
  };
  walk("");
  return { digest: h.digest("hex"), files };
}
