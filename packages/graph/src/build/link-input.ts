/**
 * What a dependency's output that is a symlink contributes to a dependent's
 * key (docs/flowfile.md, "Symlinks"): its text and what it resolves to.
 *
 * flow follows a link it reads as an input: a source is stat'ed through its
 * link by the stat memo, and a dependency's link output must be followed
 * too, or a dependent of `l -> real.txt` would stay fresh after real.txt
 * changed (only the text "real.txt" would be in its key).
 *
 * The link is resolved from its recorded text, not from the link on disk:
 * `flow status` plans a cached dependency whose outputs are not restored
 * yet, and must compute the key the build computes after the restore. For
 * the same reason a path that another recorded output of the dependencies
 * names (a link to a sibling file in an output directory, a link to a link)
 * is answered from the records; only what lies beyond them is read from the
 * disk, through the host's stat memo (one stat for an unchanged file).
 *
 * Link texts are relative and inside the root (the cache refuses others at
 * save and at restore), so resolution is lexical and stays in the root.
 */
import type { FileState, OutputEntry } from "@flow/cache";
import { posix } from "node:path";

/** Links followed before giving up, as the kernel's ELOOP limit (40 on Linux). */
export const MAX_LINK_HOPS = 40;

/** What a resolved link leads to: a content hash, "dir", or "missing" (dangling, looping, or leaving the root). */
export type LinkResolution = string;

/** A recorded entry's key value: the link text followed by what it resolves to, e.g. `real.txt -> 0a1b...`. */
export function linkKeyValue(target: string, resolution: LinkResolution): string {
  // A resolution never contains " -> ", so the pair is read back unambiguously from the last one.
  return `${target} -> ${resolution}`;
}

/**
 * Resolves the link recorded at `linkPath` with text `target`. `recorded`:
 * every output entry of the task's dependencies by path; `state`: the disk,
 * following links (the host's inputState).
 */
export function resolveLink(
  linkPath: string,
  target: string,
  recorded: ReadonlyMap<string, OutputEntry>,
  state: (path: string) => FileState,
): LinkResolution {
  let path = posix.normalize(posix.join(posix.dirname(linkPath), target));
  for (let hops = 1; hops <= MAX_LINK_HOPS; hops++) {
    if (path === ".." || path.startsWith("../") || path.startsWith("/")) return "missing";
    const through = recordedLinkPrefix(path, recorded);
    if (through === undefined) return endState(path, recorded, state);
    const [prefix, entry] = through;
    const rest = path.slice(prefix.length);
    path = posix.normalize(posix.join(posix.dirname(prefix), entry.target as string) + rest);
  }
  return "missing"; // a loop, as ELOOP on disk
}

/** The shortest prefix of `path` (whole segments, or all of it) that is a recorded link. */
function recordedLinkPrefix(path: string, recorded: ReadonlyMap<string, OutputEntry>): [string, OutputEntry] | undefined {
  for (let i = path.indexOf("/"); ; i = path.indexOf("/", i + 1)) {
    const prefix = i < 0 ? path : path.slice(0, i);
    const entry = recorded.get(prefix);
    if (entry?.kind === "symlink" && entry.target !== undefined) return [prefix, entry];
    if (i < 0) return undefined;
  }
}

function endState(path: string, recorded: ReadonlyMap<string, OutputEntry>, state: (path: string) => FileState): LinkResolution {
  const entry = recorded.get(path);
  if (entry !== undefined) return entry.kind === "file" ? (entry.hash as string) : "dir";
  if (path === ".") return "dir";
  const st = state(path);
  switch (st.kind) {
    case "file":
      return st.hash;
    case "dir":
      return "dir";
    case "missing":
      return "missing";
    case "symlink":
      return `link:${st.target}`;
  }
}

/**
 * A dependency's outputs as its dependent's key sees them: [path, hash or
 * "dir" or `text -> resolution`, mode]. Costs nothing for a dependency
 * without link outputs (the map of records is only built for one with).
 */
export function depOutputValues(
  outputs: readonly OutputEntry[],
  allRecorded: () => ReadonlyMap<string, OutputEntry>,
  state: (path: string) => FileState,
): [string, string, number][] {
  return outputs.map((o) => {
    if (o.kind === "symlink" && o.target !== undefined) return [o.path, linkKeyValue(o.target, resolveLink(o.path, o.target, allRecorded(), state)), o.mode];
    return [o.path, o.hash ?? o.target ?? "dir", o.mode];
  });
}

/** Whether a dependency recorded a link among its outputs: only then is there anything to resolve. */
export function hasLinkOutput(outputs: readonly OutputEntry[]): boolean {
  for (const o of outputs) if (o.kind === "symlink") return true;
  return false;
}

/**
 * depOutputValues for outputs without links (hasLinkOutput false), the
 * common case: no closures and none of the resolution code, so that the
 * per-task code that calls it stays small when optimized.
 */
export function plainOutputValues(outputs: readonly OutputEntry[]): [string, string, number][] {
  const values: [string, string, number][] = [];
  for (const o of outputs) values.push([o.path, o.hash ?? o.target ?? "dir", o.mode]);
  return values;
}
