// The workspace's state directory, `.flow/` at the project root: the lock,
// the logs and (by default) the cache. It carries its own `.gitignore` (`*`)
// so it never shows up as untracked, whatever the project's own .gitignore
// says: a user should not have to learn that flow writes it.
import { lstatSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** `.flow/` under `root`, made if missing, with its `.gitignore`; returns its path. */
export function ensureStateDir(root: string): string {
  const dir = join(root, ".flow");
  mkdirSync(dir, { recursive: true });
  const ignore = join(dir, ".gitignore");
  try {
    // lstat: a link in its place (dangling or not) counts as there; it is never followed.
    lstatSync(ignore);
  } catch {
    try {
      // "wx": O_EXCL, which also refuses to write through a link made meanwhile.
      writeFileSync(ignore, "# made by flow: everything here is flow's state, never committed\n*\n", { flag: "wx" });
    } catch {
      // Another flow made it first, or the disk refused: nothing is lost without it.
    }
  }
  return dir;
}
