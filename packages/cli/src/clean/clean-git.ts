// Which files git tracks under the project root, asked once per clean:
// `git ls-files -z` in the root lists the index's paths relative to it.
//
// Outside a work tree git exits non-zero ("not a git repository"): nothing is
// tracked. Git missing from PATH is only harmless when there is no `.git`
// above the root; otherwise clean cannot know what is tracked and refuses.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";

export type Tracked = { ok: true; tracked: ReadonlySet<string> | undefined } | { ok: false; message: string };

export function gitTrackedFiles(root: string): Tracked {
  const r = spawnSync("git", ["ls-files", "-z"], { cwd: root, encoding: "utf8", maxBuffer: 1 << 30, stdio: ["ignore", "pipe", "pipe"] });
  if (r.error !== undefined) {
    if ((r.error as NodeJS.ErrnoException).code === "ENOENT" && !insideGitDir(root)) return { ok: true, tracked: undefined };
    return { ok: false, message: `could not run git to find tracked files: ${r.error.message}` };
  }
  if (r.status === 0) return { ok: true, tracked: new Set(r.stdout.split("\0").filter((p) => p !== "")) };
  if (/not a git repository/i.test(r.stderr)) return { ok: true, tracked: undefined };
  return { ok: false, message: `git ls-files failed (exit ${r.status}): ${r.stderr.trim()}` };
}

function insideGitDir(root: string): boolean {
  for (let d = root; ; d = dirname(d)) {
    if (existsSync(join(d, ".git"))) return true;
    if (dirname(d) === d) return false;
  }
}
