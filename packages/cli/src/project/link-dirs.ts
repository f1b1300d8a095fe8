import { lstatSync, realpathSync } from "node:fs";
import { relative, sep } from "node:path";

/** A symlinked directory on a project path, and where it really leads. */
export interface LinkDir {
  /** The link, project-relative (a prefix of the path asked about). */
  readonly link: string;
  /** Its real location: absolute when outside the root, else project-relative ("." for the root). */
  readonly to: string;
  readonly inside: boolean;
}

/**
 * Where project paths really are. `linkdir/x` is lexically inside the root,
 * but when `linkdir` is a symlink to a directory elsewhere, a recipe writing
 * it writes outside, and a glob through it matches files outside
 * (RELIABILITY 15). The graph cannot tell (it sees paths, not the disk), so
 * the CLI asks here, for every output and glob match, before anything runs.
 *
 * Only the directories between the root and a path are looked at, never
 * the path itself: an output that is a link is removed (as a link) before
 * its task runs, and a source that is a link is followed (docs/flowfile.md,
 * "Symlinks"). Each directory is lstat'ed once per run (outputs come in
 * runs in few directories: a 10,000-rule project costs ~100 lstats); only a
 * link costs a realpath.
 */
export class LinkDirs {
  /** By directory (project-relative): the link found on it or above it, or null when it is real (or does not exist). */
  private readonly dirs = new Map<string, LinkDir | null>();
  private realRoot: string | undefined;

  /** `rootPrefix`: the project root with a trailing `/`. */
  constructor(private readonly rootPrefix: string) {}

  /** The first symlinked directory on the way from the root to `path` (normalized, project-relative), if any. */
  on(path: string): LinkDir | undefined {
    const slash = path.lastIndexOf("/");
    return slash <= 0 ? undefined : (this.dir(path.slice(0, slash)) ?? undefined);
  }

  private dir(dir: string): LinkDir | null {
    const known = this.dirs.get(dir);
    if (known !== undefined) return known;
    const slash = dir.lastIndexOf("/");
    let found = slash <= 0 ? null : this.dir(dir.slice(0, slash));
    if (found === null) found = this.look(dir);
    this.dirs.set(dir, found);
    return found;
  }

  private look(dir: string): LinkDir | null {
    const abs = this.rootPrefix + dir;
    let st;
    try {
      st = lstatSync(abs, { throwIfNoEntry: false });
    } catch (e) {
      // A path through a file: nothing can be written or matched below it either.
      if (isNothingThere(e)) return null;
      throw e;
    }
    if (st === undefined || !st.isSymbolicLink()) return null;
    let real: string;
    try {
      real = realpathSync(abs);
    } catch (e) {
      // Dangling or looping: nothing lies below it (a recipe writing there fails).
      if (isNothingThere(e)) return null;
      throw e;
    }
    const rel = relative(this.root(), real);
    const inside = rel === "" || (rel !== ".." && !rel.startsWith(`..${sep}`) && !rel.startsWith(sep));
    return { link: dir, to: inside ? rel.split(sep).join("/") || "." : real, inside };
  }

  /** The root's own real path (it may itself sit below a link, as /tmp on some systems). */
  private root(): string {
    return (this.realRoot ??= realpathSync(this.rootPrefix));
  }
}

function isNothingThere(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR" || code === "ELOOP" || code === "ENAMETOOLONG";
}
