// The persistent build state: what one build leaves for the next, so that a
// build where little changed costs what changed, not what exists (issue 16).
//
// One file per project and request (the Flowfile, the command line's
// targets and variables, the reading flags), under the cache directory's
// `state/` (the cache is disposable and so is this: deleting the cache
// deletes it, `flow cache gc` removes it). It holds:
//   - the validated task graph and the reading's warnings;
//   - what shaped them (project/shape-record.ts): each file read, glob,
//     `$(shell)` output, directory listing, environment value and the kind of
//     every path the graph asked about;
//   - every path the tasks read or write, with its stat when its bytes were
//     last hashed (the stat memo's own test: size, mtime, ctime, inode, mode;
//     a file hashed within the racy window is never vouched for);
//   - each task's last key and recorded outputs.
// The next build reads it in one read, checks what shaped the graph (a
// changed file, glob, `$(shell)` result, listing, environment value or kind
// means the Flowfile is read again: the cold path), stats each path once,
// and vouches for every task none of whose paths changed and whose
// dependencies are all vouched for (decide-task.ts Prior): those are fresh
// without a key, a hash or a cache look-up. The rest are decided in full.
//
// Models: ninja's .ninja_log/.ninja_deps and git's index (a flat, versioned
// file of stats, rewritten whole). JSON, since V8 parses it faster than
// anything written in JavaScript could, and a state is rewritten only when
// a build changed something.
import { createHash } from "node:crypto";
import { lstatSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, type Stats } from "node:fs";
import { isAbsolute, join } from "node:path";
import { fileURLToPath } from "node:url";
import { withoutInlineBytes, type FileState, type OutputEntry, type StatMemo } from "@flow/cache";
import { topologicalOrder, type BuildEvent, type BuildOutcome, type Diagnostic, type Prior, type Task, type TaskGraph } from "@flow/graph";
import { absPath, type NodeProjectHost } from "../project/node-project-host.js";
import type { ShapeRecord } from "../project/shape-record.js";
import { StatTable } from "../project/stat-table.js";
import { decodeState, encodeState } from "./build-state-file.js";
/** The Flowfile's variables as name/value pairs (history/flowfile-variables.ts makes them; a type here keeps run below history). */
type VariableList = readonly (readonly [string, string])[];

/** Bumped whenever the file's layout or meaning changes: an older state is read as none. */
export const STATE_SCHEMA = 5;

/**
 * Which flow wrote a state: the version and when this module was built, so
 * that a flow rebuilt from other sources (a developer's, an upgrade in place)
 * never trusts what another one decided.
 */
const FLOW_VERSION = `0.1.0 ${statSync(fileURLToPath(import.meta.url)).mtimeMs}`;

/** What identifies the request a state answers; a state for another request is not used. */
export interface StateRequest {
  readonly root: string;
  readonly top: string;
  readonly flowfile: string;
  readonly targets: readonly string[];
  readonly overrides: ReadonlyMap<string, string>;
  readonly environmentOverrides: boolean;
  readonly noBuiltinRules: boolean;
  readonly noBuiltinVariables: boolean;
  /** -i: every recipe is rewritten (set +e), so keys differ. */
  readonly ignoreErrors: boolean;
  /** flow's own version: a state from another flow is never trusted. */
  readonly flowVersion: string;
}

// Per path, WIDTH numbers: [flags, kind, size, mtimeMs, ctimeMs, ino, mode].
const WIDTH = 7;
/** The graph asked this path's kind: another kind means another graph. */
const KIND_CHECKED = 1;
/** A task reads or writes it: its stat vouches for its bytes. */
const STAT_CHECKED = 2;
/** An output: lstat (a link in its place is a change), not stat. */
const LSTAT = 4;
/** Read or written, but hashed within the racy window (or never by this build): always a change. */
const UNTRUSTED = 8;
/** A directory outputs are written below: a link in its place (lstat) means the Flowfile is read again. */
const NO_LINK = 16;
/**
 * The watching server cannot see this path change: outside the project root,
 * below a symlinked directory, or a symlink itself (a link's target is edited
 * where no watch is). Stat'ed on every build, server or not.
 */
const WATCH_BLIND = 32;
const MISSING = 0;
const FILE = 1;
const DIR = 2;

interface TaskEntry {
  /** The key of its last successful build. */
  readonly key: string;
  readonly outputs: readonly OutputEntry[];
  /** Indexes into the path table: what its decision read (inputs, discovered inputs) and wrote (outputs). */
  readonly paths: readonly number[];
  /** Its `.ENV` values then. */
  readonly env: readonly (readonly [string, string | null])[];
}

interface StateFile {
  readonly schema: number;
  readonly request: string;
  readonly shape: {
    readonly texts: readonly (readonly [string, string | null])[];
    readonly globs: readonly (readonly [string, readonly string[]])[];
    readonly shells: readonly (readonly [string, string])[];
    readonly listings: readonly (readonly [string, readonly string[] | null])[];
    /** [directory, suffixes, whether a name there ends in one] (the built-in rules' question). */
    readonly sourceListings: readonly (readonly [string, readonly string[], boolean])[];
    readonly env: readonly (readonly [string, string | null])[];
    readonly wholeEnv: string | null;
    /** The Flowfile's variables as read (secrets masked), for the run history's environment file (history/flowfile-variables.ts). */
    readonly variables: VariableList;
  };
  readonly graph: { readonly tasks: readonly Task[]; readonly byName: readonly (readonly [string, number])[]; readonly goals: readonly number[] };
  readonly warnings: readonly Diagnostic[];
  readonly paths: readonly string[];
  readonly stats: ArrayLike<number>;
  readonly tasks: readonly (TaskEntry | null)[];
  /** This state's identity: the token file (tokenPathOf) names the state it belongs to. */
  readonly id: string;
  /** The watching server's token taken when this build checked the disk (changesSince), or null without a server. */
  readonly token: string | null;
  /** Whether WATCH_BLIND was worked out (only builds with a server pay for the lstats it takes). */
  readonly watchInfo: boolean;
  /** Which action database the state's keys were recorded in (cacheIdentity): another one holds none of them. */
  readonly cacheId: string;
}

/**
 * The identity of the cache's action database (device, inode and birth of
 * its LMDB file): deleting the records (`db/`), or the cache setting a
 * damaged database aside, makes another one, and a state vouches only for
 * results recorded in its own. One stat.
 */
export function cacheIdentity(cacheDir: string): string {
  try {
    const st = statSync(join(cacheDir, "db", "data.mdb"));
    return `${st.dev}:${st.ino}:${st.birthtimeMs}`;
  } catch {
    return "none";
  }
}

/** The file a request's state lives in. */
export function statePath(cacheDir: string, req: StateRequest): string {
  // Named without flow's version: a state of another flow is overwritten, not left beside.
  return join(stateDirOf(cacheDir), `${createHash("sha1").update(requestText({ ...req, flowVersion: "" })).digest("hex").slice(0, 24)}.state`);
}

export function stateDirOf(cacheDir: string): string {
  return join(cacheDir, "state");
}

/** Drops every state under a cache (gc, clear): a state vouches for results that cache held. */
export function dropStates(cacheDir: string): void {
  rmSync(stateDirOf(cacheDir), { recursive: true, force: true });
}

function requestText(req: StateRequest): string {
  return JSON.stringify([
    STATE_SCHEMA,
    req.flowVersion,
    req.root,
    req.top,
    req.flowfile,
    req.targets,
    [...req.overrides].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)),
    req.environmentOverrides,
    req.noBuiltinRules,
    req.noBuiltinVariables,
    req.ignoreErrors,
  ]);
}

/** A state read from disk, not yet checked against the disk. */
export interface StoredState {
  readonly file: StateFile;
  readonly path: string;
  /** The project root its relative paths are below. */
  readonly root: string;
  /** The server token the state is valid since: its own, or a newer one a later build checked it under (saveToken). */
  readonly token: string | null;
}

/** The state of this request, if one was kept; undefined for none, another request's, a damaged or an older one. */
export function readState(cacheDir: string, req: StateRequest): StoredState | undefined {
  const path = statePath(cacheDir, req);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    return undefined;
  }
  try {
    const file = decodeState<StateFile>(bytes, WIDTH);
    if (file === undefined) return undefined;
    if (file.schema !== STATE_SCHEMA || file.request !== requestText(req)) return undefined;
    if (file.stats.length !== file.paths.length * WIDTH || file.tasks.length !== file.graph.tasks.length) return undefined;
    return { file, path, root: req.root, token: tokenFor(path, file) };
  } catch {
    // A torn or foreign file is no state: the cold path reads the Flowfile and writes a good one.
    return undefined;
  }
}

function tokenPathOf(statePath: string): string {
  return `${statePath}.token`;
}

/** The newer token a build that found the state unchanged left beside it, if it belongs to this very state. */
function tokenFor(statePath: string, file: StateFile): string | null {
  try {
    const t = JSON.parse(readFileSync(tokenPathOf(statePath), "utf8")) as { id?: unknown; token?: unknown };
    if (t.id === file.id && typeof t.token === "string") return t.token;
  } catch {
    // None, or torn: the state's own token (older: the server reports more, never less).
  }
  return file.token;
}

/**
 * A build that started from this state and left it as it was (nothing
 * changed, all vouched for) checked the disk under `token`: the state holds
 * since then, and the next build asks the server only for what came after.
 * A few bytes instead of the whole state.
 */
export function saveToken(stored: StoredState, token: string): void {
  if (stored.token === token) return;
  const target = tokenPathOf(stored.path);
  const tmp = `${target}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, JSON.stringify({ id: stored.file.id, token }));
    renameSync(tmp, target);
  } catch {
    rmSync(tmp, { force: true });
  }
}

/** A state that held: the graph as the last build read it, and what it vouches for. */
export interface CheckedState {
  readonly graph: TaskGraph;
  readonly warnings: readonly Diagnostic[];
  /** The vouched-for tasks' priors, by task id. */
  readonly priors: ReadonlyMap<number, Prior>;
  /** The stats taken while checking, handed to the stat memo (as the graph builder's are on the cold path). */
  readonly stats: StatTable;
  /** Paths whose stat changed (or were never vouched for): the rest keep their records in the next state. */
  readonly changed: Uint8Array;
  readonly stored: StoredState;
  /** How many paths were stat'ed, and how many tasks vouched for (for --json and the tests). */
  readonly statted: number;
  /** The Flowfile's variables as the reading that wrote the state found them (they hold as the state does). */
  readonly variables: VariableList;
}

export type CheckResult = { readonly ok: true; readonly state: CheckedState } | { readonly ok: false; readonly why: string };

/**
 * Checks a stored state against the disk and the environment now. Must run
 * under the workspace lock: another build's writes between this check and
 * the build would otherwise go unseen. `host`: a fresh host of the same
 * project, to run globs, `$(shell)` and listings again as the reader would.
 */
export function checkState(
  stored: StoredState,
  o: {
    readonly host: NodeProjectHost;
    readonly readEnv: NodeJS.ProcessEnv;
    readonly env: NodeJS.ProcessEnv;
    readonly force: boolean;
    /** The cache directory: its action database must be the one the state was recorded in. */
    readonly cacheDir: string;
    /**
     * What the watching server saw change since the state's token (absolute
     * paths; a directory stands for everything below it). Only those paths,
     * and the ones it cannot see (WATCH_BLIND), are stat'ed. Undefined: no
     * server, or it does not know: every path is.
     */
    readonly changes?: readonly string[];
  },
): CheckResult {
  const { file } = stored;
  const shape = file.shape;
  const prefix = rootPrefix(stored.root);
  if (file.cacheId !== cacheIdentity(o.cacheDir)) return { ok: false, why: "the cache's action records are not the ones the state was written with" };
  const watched = o.changes === undefined ? undefined : changedSet(o.changes, file.paths, prefix);
  for (const [name, value] of shape.env) if ((o.readEnv[name] ?? null) !== value) return { ok: false, why: `environment variable ${name} changed` };
  if (shape.wholeEnv !== null && shape.wholeEnv !== envHash(o.readEnv)) return { ok: false, why: "the environment changed (-e reads all of it)" };
  for (const [path, hash] of shape.texts) {
    if (watched !== undefined && !watched.mayHaveChanged(absPath(prefix, path))) continue;
    if (textHash(o.host.readText(path)) !== hash) return { ok: false, why: `${path} changed` };
  }
  // A listing or a glob changes only when a path comes or goes: with the server, only when it saw a path the state does not know.
  const listingsToo = watched === undefined || watched.unknown;
  for (const [dir, names] of listingsToo ? shape.listings : []) {
    if (!sameList(o.host.listDirOnce(dir) ?? null, names)) return { ok: false, why: `the listing of ${dir || "."} changed` };
  }
  for (const [dir, suffixes, answer] of listingsToo ? shape.sourceListings : []) {
    const names = o.host.listDirOnce(dir);
    if (names === undefined || hasSuffix(names, suffixes) !== answer) return { ok: false, why: `files with a built-in rule's suffix came or went in ${dir || "."}` };
  }
  for (const [pattern, matches] of listingsToo ? shape.globs : []) {
    let now: readonly string[];
    try {
      now = o.host.glob(pattern, undefined);
    } catch {
      return { ok: false, why: `glob ${pattern} fails now` };
    }
    if (!sameList(now, matches)) return { ok: false, why: `the matches of ${pattern} changed` };
  }
  for (const [command, output] of shape.shells) {
    let now: string;
    try {
      now = o.host.shellAgain(command);
    } catch {
      return { ok: false, why: `$(shell ${command}) fails now` };
    }
    if (now !== output) return { ok: false, why: `$(shell ${command}) gives another output` };
  }

  // One stat per path: the graph's kinds and the tasks' stats at once.
  const { paths, stats } = file;
  const changed = new Uint8Array(paths.length);
  // The stats taken, packed ([kind, size, mtime, ctime, ino, mode]; kind -1: not taken): handed to
  // the stat memo after vouching, and only for paths a task decided in full may ask about.
  const now = new Float64Array(paths.length * 6).fill(-1);
  let statted = 0;
  for (let i = 0; i < paths.length; i++) {
    const at = i * WIDTH;
    const flags = stats[at] as number;
    if (watched !== undefined && (flags & (WATCH_BLIND | UNTRUSTED)) === 0 && !watched.has(i)) continue;
    statted++;
    const abs = absPath(prefix, paths[i] as string);
    const st = statOf(abs, (flags & LSTAT) !== 0);
    if (st === "error") return { ok: false, why: `cannot stat ${abs}` };
    const kind = st === undefined ? MISSING : st.isDirectory() ? DIR : FILE;
    if ((flags & KIND_CHECKED) !== 0 && kind !== stats[at + 1]) return { ok: false, why: `${abs} is ${KIND_NAMES[kind]} now` };
    if ((flags & LSTAT) === 0) {
      const n = i * 6;
      now[n] = st === undefined ? 0 : st.isFile() ? 1 : st.isDirectory() ? 2 : 3;
      if (st !== undefined) {
        now[n + 1] = st.size;
        now[n + 2] = st.mtimeMs;
        now[n + 3] = st.ctimeMs;
        now[n + 4] = st.ino;
        now[n + 5] = st.mode;
      }
    }
    if ((flags & NO_LINK) !== 0 && st !== undefined) {
      const own = (flags & LSTAT) !== 0 ? st : statOf(abs, true);
      if (own === "error" || own?.isSymbolicLink() === true) return { ok: false, why: `${abs} is a symlink now` };
    }
    if ((flags & STAT_CHECKED) === 0) continue;
    if (stats[at + 1] === DIR && (flags & UNTRUSTED) === 0) {
      // A directory input is an ingredient by its kind alone ("dir"), not its listing.
      if (kind !== DIR) changed[i] = 1;
    } else if (
      (flags & UNTRUSTED) !== 0 ||
      st === undefined ||
      kind !== stats[at + 1] ||
      (kind === FILE && !st.isFile()) ||
      st.size !== stats[at + 2] ||
      st.mtimeMs !== stats[at + 3] ||
      st.ctimeMs !== stats[at + 4] ||
      st.ino !== stats[at + 5] ||
      (st.mode & 0o777) !== stats[at + 6]
    ) {
      changed[i] = 1;
    }
  }

  const graph = graphOf(file);
  const priors = new Map<number, Prior>();
  if (!o.force) {
    const vouched = new Uint8Array(graph.tasks.length);
    const all = graph.tasks.map((t) => t.id);
    for (const id of topologicalOrder(graph, all)) {
      const entry = file.tasks[id];
      const task = graph.tasks[id] as Task;
      if (entry === null || entry === undefined) continue;
      if (!task.deps.every((d) => vouched[d] === 1)) continue;
      if (!entry.paths.every((p) => changed[p] === 0)) continue;
      if (!entry.env.every(([n, v]) => (o.env[n] ?? null) === v)) continue;
      vouched[id] = 1;
      priors.set(id, { key: entry.key, outputs: entry.outputs });
    }
  }
  // The stats a task decided in full may ask the stat memo for: every one taken but those only vouched-for tasks use.
  const table = new StatTable();
  const onlyVouched = new Uint8Array(paths.length);
  for (const id of priors.keys()) for (const p of (file.tasks[id] as TaskEntry).paths) onlyVouched[p] = 1;
  // (A task without an entry, a phony action say, has its inputs stat'ed again by the stat memo: few, and no index of names needed.)
  for (let id = 0; id < file.tasks.length; id++) {
    const entry = file.tasks[id];
    if (!priors.has(id) && entry !== null && entry !== undefined) for (const p of entry.paths) onlyVouched[p] = 0;
  }
  for (let i = 0; i < paths.length; i++) {
    const n = i * 6;
    if (onlyVouched[i] === 1 || (now[n] as number) < 0) continue;
    table.putPacked(absPath(prefix, paths[i] as string), now[n] as number, now[n + 1] as number, now[n + 2] as number, now[n + 3] as number, now[n + 4] as number, now[n + 5] as number);
  }
  return { ok: true, state: { graph, warnings: file.warnings, priors, stats: table, changed, stored, statted, variables: shape.variables } };
}

const KIND_NAMES = ["missing", "a file", "a directory"];

/**
 * The state's paths the server's changes touch: a path itself, or one below
 * a changed directory (a directory moved away is one event for it alone).
 * `unknown`: some change is no path of the state's (something came or went
 * that a listing or a glob may see).
 */
function changedSet(changes: readonly string[], paths: readonly string[], prefix: string): { has(i: number): boolean; mayHaveChanged(abs: string): boolean; readonly unknown: boolean } {
  const hit = new Uint8Array(paths.length);
  if (changes.length === 0) return { has: () => false, mayHaveChanged: () => false, unknown: false };
  const index = new Map<string, number>();
  for (let i = 0; i < paths.length; i++) index.set(absPath(prefix, paths[i] as string), i);
  const all = new Set(changes);
  let unknown = false;
  let dirs: string[] | undefined;
  for (const c of changes) {
    const i = index.get(c);
    if (i !== undefined) hit[i] = 1;
    else {
      unknown = true;
      (dirs ??= []).push(c.endsWith("/") ? c : `${c}/`);
    }
  }
  if (dirs !== undefined) {
    // Everything below a changed path the state does not know as a file (few: new files, directories).
    for (const [abs, i] of index) if (hit[i] === 0 && dirs.some((d) => abs.startsWith(d))) hit[i] = 1;
  }
  return {
    has: (i) => hit[i] === 1,
    mayHaveChanged: (abs) => all.has(abs) || (dirs !== undefined && dirs.some((d) => abs.startsWith(d))),
    unknown,
  };
}

function statOf(abs: string, link: boolean): Stats | undefined | "error" {
  try {
    return link ? lstatSync(abs, { throwIfNoEntry: false }) : statSync(abs, { throwIfNoEntry: false });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // A path through a file or a symlink loop: nothing usable there, as the graph builder saw it.
    if (code === "ENOTDIR" || code === "ELOOP" || code === "ENAMETOOLONG") return undefined;
    return "error";
  }
}

function rootPrefix(root: string): string {
  return root.endsWith("/") ? root : `${root}/`;
}

function graphOf(file: StateFile): TaskGraph {
  const byOutput = new Map<string, number>();
  for (const t of file.graph.tasks) for (const o of t.outputs) byOutput.set(o.path, t.id);
  return { tasks: file.graph.tasks, byName: new Map(file.graph.byName), byOutput, goals: file.graph.goals, warnings: [] };
}

function hasSuffix(names: readonly string[], suffixes: readonly string[]): boolean {
  const set = new Set(suffixes);
  return names.some((n) => {
    const dot = n.lastIndexOf(".");
    return dot >= 0 && set.has(n.slice(dot));
  });
}

function sameList(a: readonly string[] | null, b: readonly string[] | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function textHash(text: string | undefined): string | null {
  return text === undefined ? null : createHash("sha1").update(text).digest("hex");
}

function envHash(env: NodeJS.ProcessEnv): string {
  const h = createHash("sha1");
  for (const k of Object.keys(env).sort()) h.update(`${k}=${env[k] ?? ""}\0`);
  return h.digest("hex");
}

/** Collects, from a build's events, what a task's decision checked that is not in its declaration: discovered inputs. */
export class DiscoveredLog {
  readonly byTask = new Map<number, readonly (readonly [string, string])[]>();

  observe(e: BuildEvent): void {
    if (e.type === "task-end" && e.decision?.discovered !== undefined) this.byTask.set(e.task.id, e.decision.discovered);
  }
}

/** What shaped the graph, in the state's terms: from this reading's record, or carried over from a state that held. */
export type ShapeSource = { readonly record: ShapeRecord; readonly readEnv: NodeJS.ProcessEnv; readonly variables?: VariableList } | { readonly stored: StoredState };

export interface SaveRequest {
  readonly cacheDir: string;
  readonly request: StateRequest;
  readonly shape: ShapeSource;
  readonly graph: TaskGraph;
  readonly warnings: readonly Diagnostic[];
  readonly outcome: BuildOutcome;
  readonly discovered: DiscoveredLog;
  readonly statMemo: StatMemo;
  /** The state this build started from, when one held: its records for paths no decision looked at carry over. */
  readonly checked?: CheckedState;
  readonly env: NodeJS.ProcessEnv;
  /** The server's token this build checked the disk under; undefined without a server. */
  readonly token?: string;
  /** Work out which paths the server cannot see (WATCH_BLIND): a build with a server. */
  readonly watchInfo: boolean;
}

/**
 * Writes the state for the next build: atomically (a reader sees the old
 * file or the new one, never half), and never fatally (without it the next
 * build takes the cold path).
 */
export function saveState(s: SaveRequest): SavedState | undefined {
  if (s.checked !== undefined && (s.checked.stored.file.watchInfo || !s.watchInfo)) {
    if (unchanged(s.checked, s.outcome)) {
      if (s.token !== undefined) saveToken(s.checked.stored, s.token);
      return { path: s.checked.stored.path, serverSeesAll: serverSeesAll(s.checked.stored.file) };
    }
    return writeState(s, patchState(s, s.checked));
  }
  const prefix = rootPrefix(s.request.root);
  const paths: string[] = [];
  const stats: number[] = [];
  const index = new Map<string, number>();
  const slot = (abs: string): number => {
    let i = index.get(abs);
    if (i === undefined) {
      i = paths.length;
      index.set(abs, i);
      // Below the root: relative (a third of the file at 10,000 tasks); elsewhere absolute.
      paths.push(abs.startsWith(prefix) ? abs.slice(prefix.length) : abs);
      stats.push(0, MISSING, 0, 0, 0, 0, 0);
    }
    return i;
  };

  // The graph's kinds: recorded by this reading, or the old state's (they held).
  let shape: StateFile["shape"];
  if ("record" in s.shape) {
    const r = s.shape.record;
    const readEnv = s.shape.readEnv;
    shape = {
      texts: [...r.texts].map(([p, t]) => [p, textHash(t ?? undefined)] as const),
      globs: [...r.globs],
      shells: [...r.shells],
      listings: [...r.listings],
      sourceListings: [...r.sourceListings].map(([d, l]) => [d, l.suffixes, l.answer] as const),
      env: [...r.envNames].sort().map((n) => [n, readEnv[n] ?? null] as const),
      wholeEnv: r.wholeEnv ? envHash(readEnv) : null,
      variables: s.shape.variables ?? [],
    };
    for (const [p, k] of r.kinds) {
      const i = slot(absPath(prefix, p));
      stats[i * WIDTH] = (stats[i * WIDTH] as number) | KIND_CHECKED;
      stats[i * WIDTH + 1] = k === "missing" ? MISSING : k === "dir" ? DIR : FILE;
    }
  } else {
    const old = s.shape.stored.file;
    shape = old.shape;
    for (let j = 0; j < old.paths.length; j++) {
      if (((old.stats[j * WIDTH] as number) & KIND_CHECKED) === 0) continue;
      const i = slot(absPath(prefix, old.paths[j] as string));
      stats[i * WIDTH] = (stats[i * WIDTH] as number) | KIND_CHECKED;
      stats[i * WIDTH + 1] = old.stats[j * WIDTH + 1] as number;
    }
  }

  // Every directory an output is written below must not become a link: the cold path refuses
  // one (FLOW007/FLOW020, NodeProjectHost.outputLinkProblem), so it must send the next build
  // there. One more lstat each; few (one per output directory).
  const outDirs = new Set<string>();
  for (const t of s.graph.tasks) {
    for (const o of t.outputs) {
      for (let cut = o.path.lastIndexOf("/"); cut > 0; cut = o.path.lastIndexOf("/", cut - 1)) {
        const dir = o.path.slice(0, cut);
        if (outDirs.has(dir)) break;
        outDirs.add(dir);
      }
    }
  }
  for (const dir of outDirs) {
    const i = slot(absPath(prefix, dir));
    stats[i * WIDTH] = (stats[i * WIDTH] as number) | NO_LINK;
  }

  // What each finished task read and wrote, with the stat its bytes were hashed under.
  const oldIndex = s.checked === undefined ? undefined : new Map(s.checked.stored.file.paths.map((p, i) => [absPath(prefix, p), i] as const));
  const track = (abs: string, output: boolean): number => {
    const i = slot(abs);
    const at = i * WIDTH;
    const flags = stats[at] as number;
    if ((flags & STAT_CHECKED) !== 0) return i;
    stats[at] = flags | STAT_CHECKED | (output ? LSTAT : 0);
    const known = s.statMemo.known(abs);
    if (known !== undefined) {
      writeStat(stats, at, known.state, known.trusted);
      // An input that is a link: its target may be edited where the server does not watch. (An output is lstat'ed: a link there is a change itself.)
      if (s.watchInfo && !output && isLink(abs)) stats[at] = (stats[at] as number) | WATCH_BLIND;
      return i;
    }
    // Not looked at by this build (a vouched-for task's path): the old record, when its stat held.
    const j = oldIndex?.get(abs);
    const old = s.checked?.stored.file.stats;
    if (j !== undefined && old !== undefined && s.checked?.changed[j] === 0 && ((old[j * WIDTH] as number) & STAT_CHECKED) !== 0 && (s.checked.stored.file.watchInfo || !s.watchInfo)) {
      for (let k = 1; k < WIDTH; k++) stats[at + k] = old[j * WIDTH + k] as number;
      stats[at] = (stats[at] as number) | ((old[j * WIDTH] as number) & (UNTRUSTED | WATCH_BLIND));
      return i;
    }
    stats[at] = (stats[at] as number) | UNTRUSTED;
    return i;
  };

  const tasks: (TaskEntry | null)[] = new Array<TaskEntry | null>(s.graph.tasks.length).fill(null);
  for (const id of s.outcome.order) tasks[id] = taskEntry(s, id, prefix, track);

  if (s.watchInfo) markBlind(paths, stats, prefix);
  const file: StateFile = {
    id: newStateId(),
    cacheId: cacheIdentity(s.cacheDir),
    token: s.token ?? null,
    watchInfo: s.watchInfo,
    schema: STATE_SCHEMA,
    request: requestText(s.request),
    shape,
    // A task's location without its line's text (a third of the graph's bytes): after reading, only
    // the cold path's diagnostics show a line, and warnings keep theirs.
    graph: { tasks: s.graph.tasks.map((t) => (t.loc.lineText === "" ? t : { ...t, loc: { ...t.loc, lineText: "" } })), byName: [...s.graph.byName], goals: s.graph.goals },
    warnings: s.warnings,
    paths,
    stats,
    tasks,
  };
  return writeState(s, file);
}

/** A state as saved: where, and whether the watching server alone can tell it still holds. */
export interface SavedState {
  readonly path: string;
  /**
   * Every file, listing and text the state depends on is one the watching
   * server sees change (inside the root, not through a symlink), and no `$(shell)` output is part of it (a command's output may
   * change with no file event). Only then may the server answer a repeat of
   * this build as a no-op without anyone looking (server/settled-noops.ts).
   */
  readonly serverSeesAll: boolean;
}

function serverSeesAll(file: StateFile): boolean {
  if (!file.watchInfo || file.shape.shells.length > 0 || file.shape.wholeEnv !== null) return false;
  const inside = (p: string) => p !== ".." && !p.startsWith("../") && !isAbsolute(p);
  if (!file.shape.texts.every(([p]) => inside(p))) return false;
  if (!file.shape.listings.every(([d]) => inside(d)) || !file.shape.sourceListings.every(([d]) => inside(d))) return false;
  if (!file.shape.globs.every(([g]) => inside(g))) return false;
  const { stats } = file;
  // UNTRUSTED (hashed within the racy window) is no reason: the stat could not vouch for those bytes, but
  // every write after the token is an event, and the build read them after the token.
  for (let at = 0; at < stats.length; at += WIDTH) if (((stats[at] as number) & WATCH_BLIND) !== 0) return false;
  return true;
}

/** Writes a state atomically (a temporary file renamed over the old one); on failure leaves none. */
function writeState(s: SaveRequest, file: StateFile): SavedState | undefined {
  const target = statePath(s.cacheDir, s.request);
  const tmp = `${target}.${process.pid}.tmp`;
  try {
    mkdirSync(stateDirOf(s.cacheDir), { recursive: true });
    writeFileSync(tmp, encodeState(file), { flag: "w" });
    renameSync(tmp, target);
    return { path: target, serverSeesAll: serverSeesAll(file) };
  } catch {
    // A full disk or a read-only cache: the next build reads the Flowfile again, nothing is lost.
    rmSync(tmp, { force: true });
    rmSync(target, { force: true });
    return undefined;
  }
}

/**
 * The next state from one that held (the same graph, the same shape): the
 * old tables copied, and only the tasks this build decided in full (not
 * vouched for) and their paths written anew. A vouched-for task's record
 * and its paths' stats stand as they were: its paths did not change. At
 * 10,000 tasks rebuilding every table took ~0.7 s of an edit's 3.4 s.
 */
function patchState(s: SaveRequest, checked: CheckedState): StateFile {
  const old = checked.stored.file;
  const prefix = rootPrefix(s.request.root);
  const paths = old.paths.slice();
  let stats = Float64Array.from(old.stats as ArrayLike<number>);
  let index: Map<string, number> | undefined;
  const slot = (abs: string): number => {
    index ??= new Map(paths.map((p, i) => [absPath(prefix, p), i] as const));
    let i = index.get(abs);
    if (i === undefined) {
      // A path no task had (a newly discovered input): a new row.
      i = paths.length;
      index.set(abs, i);
      paths.push(abs.startsWith(prefix) ? abs.slice(prefix.length) : abs);
      const grown = new Float64Array(paths.length * WIDTH);
      grown.set(stats);
      stats = grown;
      if (!abs.startsWith(prefix)) stats[i * WIDTH] = WATCH_BLIND;
    }
    return i;
  };
  const track = (abs: string, output: boolean): number => {
    const i = slot(abs);
    const at = i * WIDTH;
    const known = s.statMemo.known(abs);
    const flags = (stats[at] as number) | STAT_CHECKED | (output ? LSTAT : 0);
    if (known !== undefined) {
      stats[at] = flags & ~UNTRUSTED;
      writeStat(stats, at, known.state, known.trusted);
      if (s.watchInfo && !output && isLink(abs)) stats[at] = (stats[at] as number) | WATCH_BLIND;
    } else {
      // Not looked at: the old record, unless its stat changed (then the next build looks again).
      stats[at] = i < old.paths.length && checked.changed[i] === 0 && (flags & UNTRUSTED) === 0 ? flags : flags | UNTRUSTED;
    }
    return i;
  };
  const tasks = old.tasks.slice();
  for (const id of s.outcome.order) {
    if (checked.priors.has(id)) continue;
    tasks[id] = taskEntry(s, id, prefix, track);
  }
  return { ...old, id: newStateId(), cacheId: cacheIdentity(s.cacheDir), token: s.token ?? null, watchInfo: s.watchInfo, paths, stats, tasks };
}

function newStateId(): string {
  return `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

/** A finished task's record in the state, or null when a stat cannot vouch for it. */
function taskEntry(s: SaveRequest, id: number, prefix: string, track: (abs: string, output: boolean) => number): TaskEntry | null {
  const task = s.graph.tasks[id] as Task;
  const r = s.outcome.results.get(id);
  if (r === undefined || r.key === undefined || (r.status !== "up-to-date" && r.status !== "ran" && r.status !== "restored")) return null;
  if (!vouchable(task)) return null;
  const outputs = s.outcome.outputs.get(id) ?? [];
  // Only plain files are vouched for by a stat: a directory's listing or a link's text would need more.
  if (outputs.some((o) => o.kind !== "file")) return null;
  const discovered = s.discovered.byTask.get(id);
  if (task.depfile !== undefined && discovered === undefined) return null;
  const used: number[] = [];
  for (const p of task.inputs) used.push(track(absPath(prefix, p), false));
  for (const [p] of discovered ?? []) used.push(track(absPath(prefix, p), false));
  for (const o of outputs) used.push(track(absPath(prefix, o.path), true));
  // Without a small output's bytes (OutputEntry.data): a vouched-for task restores nothing, and its dependents' keys need only the hashes.
  return { key: r.key, outputs: withoutInlineBytes(outputs), paths: used, env: task.env.map((n) => [n, s.env[n] ?? null] as const) };
}

/**
 * Tasks whose freshness a stat can vouch for: not one that runs every time
 * (`.ALWAYS`, a phony action), and not a `.CACHED` phony one, whose log is
 * replayed from the cache on every build.
 */
function vouchable(task: Task): boolean {
  if (task.always) return false;
  if (task.phony && task.recipe !== "" && (task.cached || task.outputs.length === 0)) return false;
  return true;
}

function writeStat(stats: number[] | Float64Array, at: number, st: FileState, trusted: boolean): void {
  if (st.kind === "dir") {
    stats[at + 1] = DIR;
    return;
  }
  if (st.kind !== "file") {
    // A link (an output's) or a missing path is never vouched for.
    stats[at + 1] = MISSING;
    stats[at] = (stats[at] as number) | UNTRUSTED;
    return;
  }
  stats[at + 1] = FILE;
  stats[at + 2] = st.size;
  stats[at + 3] = st.mtimeMs;
  stats[at + 4] = st.ctimeMs;
  stats[at + 5] = st.ino;
  stats[at + 6] = st.mode;
  if (!trusted) stats[at] = (stats[at] as number) | UNTRUSTED;
}

/** A project ready to build: read now (the cold path, with what shaped it), or the state's. */
export interface LoadedProject {
  readonly root: string;
  readonly graph: TaskGraph;
  readonly targetsGiven: boolean;
  readonly warnings: readonly Diagnostic[];
  /** What to keep in the next state; undefined when none can be kept (generated includes). */
  readonly shape: ShapeSource | undefined;
  /** The state this build started from, when it held. */
  readonly checked?: CheckedState;
  /** The Flowfile's variables, for the run history (read now, or kept in the state). */
  readonly variables?: VariableList;
}

/** The request a build makes, in the state's terms. */
export function stateRequest(
  at: { readonly root: string; readonly top: string; readonly flowfile: string; readonly targets: readonly string[]; readonly overrides: ReadonlyMap<string, string> },
  flags: { readonly environmentOverrides: boolean; readonly ignoreErrors: boolean; readonly noBuiltinRules: boolean; readonly noBuiltinVariables: boolean },
): StateRequest {
  return { root: at.root, top: at.top, flowfile: at.flowfile, targets: at.targets, overrides: at.overrides, ...flags, flowVersion: FLOW_VERSION };
}

/** Whether a build that started from a state left it as it was: every path as recorded, every task vouched for. */
function unchanged(checked: CheckedState, outcome: BuildOutcome): boolean {
  if (checked.changed.includes(1)) return false;
  for (const id of outcome.order) if (!checked.priors.has(id) || outcome.results.get(id)?.status !== "up-to-date") return false;
  return true;
}

function isLink(abs: string): boolean {
  try {
    return lstatSync(abs, { throwIfNoEntry: false })?.isSymbolicLink() === true;
  } catch {
    return true; // cannot tell: never trusted to the server
  }
}

/**
 * WATCH_BLIND for every path the server cannot see change: outside the
 * root, or below a symlinked directory inside it (one lstat per directory,
 * however many paths share it).
 */
function markBlind(paths: readonly string[], stats: number[], prefix: string): void {
  const linked = new Map<string, boolean>();
  const dirLinked = (dir: string): boolean => {
    if (dir === "") return false;
    let known = linked.get(dir);
    if (known === undefined) {
      const cut = dir.lastIndexOf("/");
      known = dirLinked(cut < 0 ? "" : dir.slice(0, cut)) || isLink(prefix + dir);
      linked.set(dir, known);
    }
    return known;
  };
  for (let i = 0; i < paths.length; i++) {
    const p = paths[i] as string;
    const outside = p.startsWith("/");
    const cut = p.lastIndexOf("/");
    if (outside || (cut > 0 && dirLinked(p.slice(0, cut)))) stats[i * WIDTH] = (stats[i * WIDTH] as number) | WATCH_BLIND;
  }
}
