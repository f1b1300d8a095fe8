import { existsSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

/** Names that make a directory part of a recursive layout (the names flow reads without -f). */
const FLOWFILE_NAMES = ["Flowfile", "Makefile", "makefile"];

/**
 * The top of the project that the Flowfile in `dir` belongs to: what its
 * globs may read (`$(wildcard ../lib/*.c)` from `programs/`), while paths
 * above it stay refused (FLOW007). `$FLOW_ROOT` when set (it must hold
 * `dir`); else the nearest directory, `dir` or above, holding `.git` (a
 * repository's top, or a worktree's); else the outermost directory of the
 * unbroken line of parents of `dir` that each hold a Flowfile or Makefile.
 * A few existsSync per level above `dir`, once per command.
 */
export function findProjectTop(dir: string, env: NodeJS.ProcessEnv): { top: string } | { error: string } {
  const given = env["FLOW_ROOT"];
  if (given) {
    const top = resolve(given);
    const rel = relative(top, dir);
    if (rel.startsWith("..") || resolve(top, rel) !== dir) return { error: `FLOW_ROOT '${given}' does not hold the Flowfile's directory '${dir}'` };
    return { top };
  }
  let outermost = dir;
  let unbroken = true;
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, ".git"))) return { top: d };
    if (unbroken && d !== dir) {
      if (FLOWFILE_NAMES.some((n) => existsSync(join(d, n)))) outermost = d;
      else unbroken = false;
    }
    if (dirname(d) === d) return { top: outermost };
  }
}
