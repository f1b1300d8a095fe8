import { execFileSync } from "node:child_process";
import { lstatSync, readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { isAbsolute, relative, resolve } from "node:path";
import { createRequire } from "node:module";
import type { StatLike } from "@flow/cache";
import { DirListings } from "./dir-listings.js";
import { LinkDirs } from "./link-dirs.js";
import { StatTable } from "./stat-table.js";
import { ShapeRecord } from "./shape-record.js";
import { DiagnosticError, errorAt, normalizeProjectPath, type Diagnostic, type GraphFs, type ReadHost, type SourceLocation, type TaskGraph } from "@flow/graph";

/**
 * The real disk behind reading a Flowfile and building its graph: file text,
 * globs (fast-glob, sorted, never outside the root), `$(shell)`, and
 * existence checks, answered once per path (so the graph builder keeps no
 * memo of its own): from directory listings where a directory holds many
 * inputs, else from stat.
 */
export class NodeProjectHost implements ReadHost, GraphFs {
  readonly warnings: Diagnostic[] = [];
  /** Every answer this host gave the reader and the graph builder (the persistent build state checks them again). */
  readonly shape = new ShapeRecord();
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
    /** The top of the project (cache-dir.ts findProjectTop): globs may reach up to it, not above. */
    private readonly top: string = root,
  ) {
    this.prefix = root.endsWith("/") ? root : `${root}/`;
    this.listings = new DirListings(this.prefix);
    this.linkDirs = new LinkDirs(this.prefix);
  }

  /** Symlinked directories on output and glob paths (RELIABILITY 15). */
  private readonly linkDirs: LinkDirs;

  readText(path: string): string | undefined {
    const text = this.readTextOnce(path);
    this.shape.texts.set(path, text ?? null);
    return text;
  }

  private readTextOnce(path: string): string | undefined {
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
    // Above the Flowfile's directory (`../lib/*.c` from `programs/`): allowed up to the project's top.
    if (!n.inside && !this.belowTop(n.path)) {
      throw new DiagnosticError(
        errorAt("FLOW007", `glob '${pattern}' reaches outside the project root '${this.top}'`, at, "globs match files below the project's top only (the repository's top, or the outermost directory with a Makefile; FLOW_ROOT sets it)"),
      );
    }
    const matches = fastGlob().sync(n.path, { cwd: this.root, onlyFiles: false, dot: false, followSymbolicLinks: false, unique: true });
    // A match through an in-root link to a directory elsewhere is outside, whatever its spelling.
    for (const m of matches) {
      const via = n.inside ? this.linkDirs.on(m) : undefined;
      if (via !== undefined && !via.inside) {
        throw new DiagnosticError(
          errorAt(
            "FLOW007",
            `glob '${pattern}' matches '${m}', which is outside the project root: '${via.link}' is a symlink to '${via.to}'`,
            at,
            "globs match files below the Flowfile's directory only: glob the files where they are, or name them without a glob",
          ),
        );
      }
    }
    // Byte order: the same on every machine and locale.
    const sorted = matches.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    this.shape.globs.set(pattern, sorted);
    return sorted;
  }

  /** A normalized path outside the root (`../lib/*.c`, or absolute) that is still below the project's top. */
  private belowTop(path: string): boolean {
    if (this.top === this.root) return false;
    const rel = relative(this.top, resolve(this.root, path));
    return rel !== "" && !rel.startsWith("../") && rel !== ".." && !isAbsolute(rel);
  }

  shell(command: string, at: SourceLocation | undefined): string {
    const out = this.shellOnce(command, at, true);
    // A failing command's warning is part of the reading: the state keeps the warnings too, and a
    // different exit code reads as a different output here.
    this.shape.shells.set(command, `${out.status}\0${out.text}`);
    return out.text;
  }

  /** `$(shell)` run again with the same environment, for the persistent build state's check: its output and exit code in one string. */
  shellAgain(command: string): string {
    const out = this.shellOnce(command, undefined, false);
    return `${out.status}\0${out.text}`;
  }

  private shellOnce(command: string, at: SourceLocation | undefined, warn: boolean): { text: string; status: number } {
    try {
      const out = execFileSync("/bin/sh", ["-c", command], { cwd: this.root, env: this.env, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 64 << 20 });
      return { text: out.replace(/\n+$/, "").replace(/\n/g, " "), status: 0 };
    } catch (e) {
      const err = e as { status?: number; stdout?: string };
      if (typeof err.status === "number") {
        if (warn) this.warn(errorAt("FLOW013", `$(shell ${command}) exited with code ${err.status}`, at));
        return { text: (err.stdout ?? "").replace(/\n+$/, "").replace(/\n/g, " "), status: err.status };
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

  /**
   * Outputs are written where they really are: one below an in-root link to
   * a directory outside is outside the root (FLOW007), and one below any
   * other link is refused too (FLOW020), since the cache never restores
   * through a link (restore-outputs.ts) and clean never removes through one.
   */
  outputLinkProblem(graph: TaskGraph): Diagnostic | undefined {
    for (const t of graph.tasks) {
      for (const o of t.outputs) {
        const via = this.linkDirs.on(o.path);
        if (via === undefined) continue;
        if (!via.inside) {
          return errorAt(
            "FLOW007",
            `output '${o.path}' is outside the project root: '${via.link}' is a symlink to '${via.to}'`,
            t.loc,
            "flow only writes inside the project: use a path below the Flowfile's directory that no symlink leads out of",
          );
        }
        const real = via.to === "." ? o.path.slice(via.link.length + 1) : `${via.to}${o.path.slice(via.link.length)}`;
        return errorAt(
          "FLOW020",
          `output '${o.path}' goes through the symlink '${via.link}' (to '${via.to}')`,
          t.loc,
          `flow writes and restores outputs only through real directories: name it '${real}'`,
        );
      }
    }
    return undefined;
  }

  /** For a missing path that is a link (GraphFs.brokenLink): what is wrong with it. */
  brokenLink(path: string): string | undefined {
    const abs = absPath(this.prefix, path);
    try {
      if (lstatSync(abs, { throwIfNoEntry: false })?.isSymbolicLink() !== true) return undefined;
      const target = readlinkSync(abs);
      try {
        statSync(abs);
        return undefined; // it leads somewhere after all
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === "ELOOP") return "looping symlink";
        if (code === "ENOENT" || code === "ENOTDIR") return `dangling symlink to '${target}'`;
        return undefined;
      }
    } catch (e) {
      // Only an explanation for a message: a path flow cannot even lstat gets none.
      if ((e as NodeJS.ErrnoException).code !== undefined) return undefined;
      throw e;
    }
  }

  /** GraphFs.listDir: one readdir per directory the built-in rules ask about. */
  listDir(dir: string): readonly string[] | undefined {
    const names = this.listDirOnce(dir);
    this.shape.listings.set(dir, names ?? null);
    return names;
  }

  /** GraphFs.listedForSources: only whether a name has one of these suffixes shaped the graph, not the whole listing. */
  listedForSources(dir: string, suffixes: readonly string[], answer: boolean): void {
    this.shape.listings.delete(dir);
    this.shape.sourceListings.set(dir, { suffixes: [...suffixes], answer });
  }

  /** A directory's names now, for the persistent build state's check of a listing. */
  listDirOnce(dir: string): string[] | undefined {
    try {
      return readdirSync(dir === "" ? this.root : absPath(this.prefix, dir));
    } catch {
      // Missing or unreadable: the graph then asks about each candidate.
      return undefined;
    }
  }

  kind(path: string): "file" | "dir" | "missing" {
    const listed = this.listings.lookup(path);
    if (listed !== undefined) {
      this.shape.kinds.set(path, listed);
      return listed;
    }
    let k = this.statted.get(path);
    if (k === undefined) {
      k = this.statKind(path);
      this.statted.set(path, k);
      this.shape.kinds.set(path, k);
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
