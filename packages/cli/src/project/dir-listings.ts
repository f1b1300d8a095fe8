import { readdirSync } from "node:fs";

/**
 * Lookups in one directory answered with `stat` before the directory is
 * listed once instead. A Flowfile naming one or two files of a large
 * directory should not pay for listing it; one naming many pays one
 * readdir instead of a stat per file.
 */
export const LIST_AFTER = 8;

const FILE = 1;
const DIR = 2;
/** A symlink (or anything the listing cannot tell): only stat knows what it leads to. */
const ASK = 3;

/**
 * Existence answers from directory listings, for the graph builder's check
 * that every input exists. Validating a 10,000-rule Flowfile over 100,000
 * inputs took 100,000 stats (about 0.6-0.7 s from Node on this machine);
 * the same answers from the 100 directories' listings take 100 readdirs.
 * The graph needs existence only: the sizes and times the stat memo needs
 * are stat'ed by the build itself (one stat per input, as before, when the
 * graph's stats were handed over).
 *
 * Only positive answers come from a listing. A name absent from it, a
 * symlink, a directory that cannot be listed, and any directory asked fewer
 * than LIST_AFTER times, return undefined: the caller stats. So a listing
 * can never make a missing file exist that stat would not find, a file made
 * after the listing is still found, and a case-insensitive disk (where stat
 * finds `SRC/a` but the listing holds `src/a`) gives stat's answer.
 */
export class DirListings {
  /** Per directory as the paths spell it: lookups so far (a number), its listing, or null when it could not be listed. */
  private readonly dirs = new Map<string, number | Listing | null>();
  /**
   * The directory of the last lookup and its listing: a task's inputs are
   * mostly in one directory, so most lookups skip building the directory's
   * name and looking it up.
   */
  private lastDir = "\u0000";
  private lastListing: Listing | undefined;

  /**
   * `rootPrefix`: the project root with a trailing `/`, which relative paths
   * are below. Paths are normalized (no `.` segments, no `//`), as the graph's are.
   */
  constructor(
    private readonly rootPrefix: string,
    private readonly listAfter = LIST_AFTER,
  ) {}

  /** "file" or "dir" when the listing of `path`'s directory shows it; undefined: ask stat. */
  lookup(path: string): "file" | "dir" | undefined {
    const slash = path.lastIndexOf("/");
    if (slash === path.length - 1) return undefined;
    let listing: Listing | undefined;
    const last = this.lastDir;
    if (this.lastListing !== undefined && slash === last.length && path.startsWith(last)) {
      listing = this.lastListing;
    } else {
      // Relative paths are keyed by their relative directory: no absolute path is built per lookup.
      const dir = slash < 0 ? "" : slash === 0 ? "/" : path.slice(0, slash);
      let state = this.dirs.get(dir);
      if (typeof state === "number" || state === undefined) {
        const asked = (state ?? 0) + 1;
        if (asked < this.listAfter) {
          this.dirs.set(dir, asked);
          return undefined;
        }
        state = list(dir.startsWith("/") ? dir : this.rootPrefix + dir);
        this.dirs.set(dir, state);
      }
      if (state === null) return undefined;
      listing = state;
      // slash < 0 (a file in the root) never matches the cache's length test: keep it for real directories.
      if (slash > 0) {
        this.lastDir = dir;
        this.lastListing = state;
      }
    }
    const kind = listing.find(path, slash + 1);
    return kind === FILE ? "file" : kind === DIR ? "dir" : undefined;
  }
}

/**
 * One directory's entries, in the order readdir gave them (sorted, from
 * libuv). Flowfiles tend to name a directory's files in that order (a
 * generated list, a sorted glob, `f00 f01 f02`), so each lookup first tries
 * the entry after the one found last: one string comparison, no substring
 * made and no hashing. Any other order takes a binary search when the
 * entries are sorted as JavaScript compares strings (they are unless names
 * hold characters past U+FFFF), else a map of the names built on first need.
 */
class Listing {
  private next = 0;
  private byName: Map<string, number> | undefined;
  private readonly sorted: boolean;

  constructor(
    private readonly names: readonly string[],
    private readonly kinds: readonly number[],
  ) {
    let sorted = true;
    for (let i = 1; i < names.length && sorted; i++) sorted = (names[i - 1] as string) < (names[i] as string);
    this.sorted = sorted;
  }

  /** The kind of the entry named `path.slice(from)`, or 0 when there is none. */
  find(path: string, from: number): number {
    const i = this.next;
    if (i < this.names.length) {
      const name = this.names[i] as string;
      if (name.length === path.length - from && path.startsWith(name, from)) {
        this.next = i + 1;
        return this.kinds[i] as number;
      }
    }
    const at = this.indexOf(from === 0 ? path : path.slice(from));
    if (at < 0) return 0;
    this.next = at + 1;
    return this.kinds[at] as number;
  }

  private indexOf(name: string): number {
    if (this.sorted) {
      let lo = 0;
      let hi = this.names.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        const n = this.names[mid] as string;
        if (n === name) return mid;
        if (n < name) lo = mid + 1;
        else hi = mid - 1;
      }
      return -1;
    }
    if (this.byName === undefined) {
      this.byName = new Map();
      for (let i = 0; i < this.names.length; i++) this.byName.set(this.names[i] as string, i);
    }
    return this.byName.get(name) ?? -1;
  }
}

function list(dir: string): Listing | null {
  let entries;
  try {
    // withFileTypes: Node lstats the entries whose type the file system does not report (DT_UNKNOWN).
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    // Missing, not a directory, not readable: stat answers for its entries, one by one.
    return null;
  }
  const names: string[] = [];
  const kinds: number[] = [];
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i] as (typeof entries)[number];
    names.push(e.name);
    kinds.push(e.isDirectory() ? DIR : e.isSymbolicLink() ? ASK : FILE);
  }
  return new Listing(names, kinds);
}
