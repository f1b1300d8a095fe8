import { execFileSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { createRequire } from "node:module";
import type { StatLike } from "@flow/cache";
import { DirListings } from "./dir-listings.js";
import { StatTable } from "./stat-table.js";
import { DiagnosticError, errorAt, normalizeProjectPath, type Diagnostic, type GraphFs, type ReadHost, type SourceLocation } from "@flow/graph";

/**
 * The real disk behind reading a Flowfile and building its graph: file text,
 * globs (fast-glob, sorted, never outside the root), `$(shell)`, and
 * existence checks, answered once per path (so the graph builder keeps no
 * memo of its own): from directory listings where a directory holds many
 * inputs, else from stat.
 */
export class NodeProjectHost implements ReadHost, GraphFs {
  readonly warnings: Diagnostic[] = [];
  /** Stats taken for the graph, not yet handed to the stat memo. */
  private readonly stats = new StatTable();
  private readonly listings: DirListings;
  /** kind()'s answers that took a stat (the listings remember the others). */
  private readonly statted = new Map<string, "file" | "dir" | "missing">();
  /** kind() answers repeated questions from memory: the graph builder need not keep its own copy. */
  readonly remembers = true;
  /** `root/`, for joining normalized relative paths without path.resolve (see absPath). */
  private readonly prefix: string;

  constructor(
    private readonly root: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    this.prefix = root.endsWith("/") ? root : `${root}/`;
    this.listings = new DirListings(this.prefix);
  }

  readText(path: string): string | undefined {
    try {
      return readFileSync(resolve(this.root, path), "utf8");
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR" || code === "EISDIR") return undefined;
      throw e;
    }
  }

  glob(pattern: string, at: SourceLocation | undefined): string[] {
    const n = normalizeProjectPath(pattern, this.root);
    if (!n.ok) return [];
    if (!n.inside) {
      throw new DiagnosticError(
        errorAt("FLOW007", `glob '${pattern}' reaches outside the project root`, at, "globs match files below the Flowfile's directory only"),
      );
    }
    const matches = fastGlob().sync(n.path, { cwd: this.root, onlyFiles: false, dot: false, followSymbolicLinks: false, unique: true });
    // Byte order: the same on every machine and locale.
    return matches.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  shell(command: string, at: SourceLocation | undefined): string {
    try {
      const out = execFileSync("/bin/sh", ["-c", command], { cwd: this.root, env: this.env, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 64 << 20 });
      return out.replace(/\n+$/, "").replace(/\n/g, " ");
    } catch (e) {
      const err = e as { status?: number; stdout?: string };
      if (typeof err.status === "number") {
        this.warn(errorAt("FLOW013", `$(shell ${command}) exited with code ${err.status}`, at));
        return (err.stdout ?? "").replace(/\n+$/, "").replace(/\n/g, " ");
      }
      throw e;
    }
  }

  warn(d: Diagnostic): void {
    // An error reported through warn (a failing $(shell)) does not stop reading: it is a warning; $(info) stays info.
    this.warnings.push({ ...d, severity: d.severity === "info" ? "info" : "warning" });
  }

  /**
   * The graph's stat of a path, handed over once to the stat memo (see
   * build-command), so a no-op build stats each input once, not twice.
   * Paths the graph found in a directory listing were not stat'ed: stat now.
   */
  takeStat(abs: string): StatLike | undefined {
    const st = this.stats.take(abs);
    if (st === undefined) return statSync(abs, { throwIfNoEntry: false });
    return st === null ? undefined : st;
  }

  kind(path: string): "file" | "dir" | "missing" {
    const listed = this.listings.lookup(path);
    if (listed !== undefined) return listed;
    let k = this.statted.get(path);
    if (k === undefined) {
      k = this.statKind(path);
      this.statted.set(path, k);
    }
    return k;
  }

  private statKind(path: string): "file" | "dir" | "missing" {
    const abs = absPath(this.prefix, path);
    try {
      return this.stats.put(abs, statSync(abs, { throwIfNoEntry: false }));
    } catch (e) {
      // A path through a file, or a symlink loop: nothing usable is there.
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOTDIR" || code === "ELOOP" || code === "ENAMETOOLONG") return "missing";
      throw e;
    }
  }
}


let fg: typeof import("fast-glob") | undefined;

/** fast-glob costs ~50 ms to load: only a Flowfile that globs pays it (require: see clipanion.ts). */
function fastGlob(): typeof import("fast-glob") {
  return (fg ??= createRequire(import.meta.url)("fast-glob") as typeof import("fast-glob"));
}

/**
 * The absolute path of a graph path. Graph paths are normalized
 * (normalizeProjectPath), so inside the root a concatenation is the same
 * string path.resolve would give, at a fraction of its cost (it is called for
 * every input of every task); `..` paths and absolute ones take resolve.
 * The stat memo's keys depend on this being the same everywhere: the build
 * host uses it too.
 */
export function absPath(rootPrefix: string, path: string): string {
  if (isAbsolute(path)) return path;
  if (path.startsWith("../") || path === "..") return resolve(rootPrefix, path);
  return rootPrefix + path;
}
