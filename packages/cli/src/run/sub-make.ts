// Recursive make: what `$(MAKE)` is, and what a build passes down to the
// builds its recipes start (MAKEFLAGS, MAKELEVEL, and flow's own FLOW_*
// variables), and what a sub-build reads of them.
//
// `$(MAKE)` is flow itself: `'NODE' '--no-concurrent-recompilation' 'BIN' build`,
// absolute paths quoted for sh, so that `$(MAKE) -C sub target VAR=x` runs a
// flow sub-build whatever PATH holds. Being absolute paths, they make the key
// of a cached task whose recipe names $(MAKE) differ between machines; such
// recipes are phony in practice (make reruns them every time too).
import { makeflagsWords } from "./makeflags.js";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The flow binary this process runs. */
const BIN = fileURLToPath(new URL("../../bin/flow.js", import.meta.url));

/** A word quoted for sh: `'...'` with each `'` written as `'\''`. */
export function shQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}

/** The value of `$(MAKE)`. */
export function makeCommand(): string {
  return [process.execPath, "--no-concurrent-recompilation", BIN, "build"].map(shQuote).join(" ");
}

/** Environment names flow passes to its sub-builds (besides MAKEFLAGS and MAKELEVEL). */
export const PARENT_RESULTS = "FLOW_PARENT_RESULTS";
export const LOCK_TOKENS = "FLOW_LOCK_TOKENS";

/** `VAR=value` words as make writes them in MAKEFLAGS: spaces and backslashes escaped with a backslash. */
function escapeWord(w: string): string {
  return w.replace(/([\\ \t])/g, "\\$1");
}

/**
 * The command-line variables a parent passed down in MAKEFLAGS (after ` -- `),
 * in the order make applies them. Only this part and the jobserver
 * (jobserver.ts) are read here; MAKEFLAGS' flag letters are the CLI's business.
 */
export function makeflagsOverrides(makeflags: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (makeflags === undefined) return out;
  const at = makeflags.indexOf(" -- ");
  const tail = at >= 0 ? makeflags.slice(at + 4) : makeflags.startsWith("-- ") ? makeflags.slice(3) : "";
  // make writes the last command-line variable first; applying them in reverse keeps the command line's order.
  for (const w of makeflagsWords(tail).reverse()) {
    const m = /^([A-Za-z_.][A-Za-z0-9_.-]*)=(.*)$/s.exec(w);
    if (m) out.set(m[1] as string, m[2] as string);
  }
  return out;
}

export interface MakeflagsParts {
  /** make's one-letter flags passed down (`k`, `s`, `r`...), in any order. */
  readonly letters: Iterable<string>;
  /** `-jN --jobserver-auth=3,4` when recipes get a jobserver. */
  readonly jobserverWords?: string;
  /** Command-line `VAR=value`, the parent's own and those it inherited. */
  readonly overrides: ReadonlyMap<string, string>;
}

/**
 * MAKEFLAGS in GNU make's format: single-letter flags as one word first (no
 * dash), then long options, then ` -- ` and the variables, last given first:
 * `k -j2 --jobserver-auth=3,4 -- Y=a\ b X=1`.
 */
/** The letters flow passes down, in the order GNU make writes them. */
const LETTER_ORDER = "BeiknqrRs";

export function formatMakeflags(p: MakeflagsParts): string {
  const words: string[] = [];
  const given = new Set(p.letters);
  words.push([...LETTER_ORDER].filter((c) => given.has(c)).join(""));
  if (p.jobserverWords !== undefined) words.push(p.jobserverWords);
  let text = words.join(" ");
  if (text === " " || text === "") text = "";
  if (p.overrides.size > 0) {
    const vars = [...p.overrides].reverse().map(([k, v]) => escapeWord(`${k}=${v}`));
    text = `${text}${text === "" ? "" : " "}-- ${vars.join(" ")}`;
  }
  return text;
}

/** The make level of this build: 0 at the top, one more than the parent's MAKELEVEL in a sub-build. */
export function makeLevel(env: NodeJS.ProcessEnv): number {
  const v = env["MAKELEVEL"];
  return v !== undefined && /^[0-9]+$/.test(v) ? Number(v) : 0;
}

/** One task of a sub-build, as the sub-build reports it to its parent (and the parent shows it). */
export interface SubTask {
  /** The sub-build's directory relative to the parent's, then `/`, then the task's name (no prefix in the same directory). */
  readonly name: string;
  readonly status: string;
  readonly durationMs: number;
  /** A .PHONY task of the sub-build (the make-compat harness's second build lets those run). */
  readonly phony?: boolean;
}

/**
 * The file a recipe's sub-builds report their tasks to: one per recipe run,
 * beside its log. Each sub-build appends one JSON line per task it decided
 * on (its own sub-builds' tasks included, already prefixed).
 */
export function subResultsPath(logPath: string): string {
  return `${logPath}.sub.jsonl`;
}

/** Reads and removes what sub-builds reported for one recipe run; prefixes names with their directory. */
export function takeSubResults(path: string, parentRoot: string): SubTask[] {
  if (!existsSync(path)) return [];
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } finally {
    rmSync(path, { force: true });
  }
  const out: SubTask[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    let v: { root?: unknown; name?: unknown; status?: unknown; durationMs?: unknown; phony?: unknown };
    try {
      v = JSON.parse(line) as typeof v;
    } catch {
      continue; // a sub-build killed mid-line: its other lines still count
    }
    if (typeof v.name !== "string" || typeof v.status !== "string" || typeof v.root !== "string") continue;
    out.push({
      name: prefixed(parentRoot, v.root, v.name),
      status: v.status,
      durationMs: typeof v.durationMs === "number" ? v.durationMs : 0,
      ...(v.phony === true ? { phony: true } : {}),
    });
  }
  return out;
}

function prefixed(parentRoot: string, root: string, name: string): string {
  if (root === parentRoot) return name;
  const p = parentRoot.endsWith("/") ? parentRoot : `${parentRoot}/`;
  return root.startsWith(p) ? `${root.slice(p.length)}/${name}` : `${root}/${name}`;
}
