// In-memory fakes shared by the unit tests (compiled with them, never exported by index.ts).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { ActionCache, ActionRecord, CacheEntry, CacheHit, ContentHash, FileState, LastRun, OutputEntry } from "@flow/cache";
import type { BuildHost, RestoreResult, RunRequest, RunResult, SaveResult, TaskRunner, Workspace } from "./build/build-host.js";
import { buildTaskGraph, type GraphFs } from "./graph/build-task-graph.js";
import { formatDiagnostic, type Diagnostic, type SourceLocation } from "./diagnostic.js";
import type { FlowfileModel } from "./reader/flowfile-model.js";
import { readFlowfile, type ReadHost, type ReadOptions } from "./reader/flowfile-reader.js";
import type { Result } from "./result.js";
import { runBuild, type BuildOutcome } from "./build/run-build.js";
import type { OutputDecl, Task, TaskGraph } from "./graph/task-graph.js";

/** A glob as a regular expression: `**` crosses directories, `*` and `?` do not. */
export function globToRegExp(pattern: string): RegExp {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === "*" && pattern[i + 1] === "*") {
      if (pattern[i + 2] === "/") {
        re += "(?:.*/)?";
        i += 2;
      } else {
        re += ".*";
        i += 1;
      }
    } else if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

export interface MemoryReadHost extends ReadHost {
  readonly warnings: Diagnostic[];
  readonly shellCalls: string[];
  readonly globCalls: string[];
}

/** readText from a map, glob over a fixed file list, shell returning a canned string. */
export function memoryReadHost(texts: Record<string, string>, opts: { files?: readonly string[]; shell?: string } = {}): MemoryReadHost {
  const files = [...(opts.files ?? []), ...Object.keys(texts)];
  const warnings: Diagnostic[] = [];
  const shellCalls: string[] = [];
  const globCalls: string[] = [];
  return {
    warnings,
    shellCalls,
    globCalls,
    readText: (p) => texts[p],
    glob(pattern: string, _at: SourceLocation | undefined) {
      globCalls.push(pattern);
      const re = globToRegExp(pattern);
      return [...new Set(files.filter((f) => re.test(f)))].sort();
    },
    shell(command: string) {
      shellCalls.push(command);
      return opts.shell ?? "";
    },
    warn: (d) => void warnings.push(d),
  };
}

export interface ReadSetup {
  /** Other files (includes) by path. */
  readonly texts?: Record<string, string>;
  /** Files the glob sees, besides the texts. */
  readonly files?: readonly string[];
  readonly shell?: string;
  readonly overrides?: Record<string, string>;
  readonly env?: Record<string, string>;
}

export function read(flowfile: string, setup: ReadSetup = {}): { result: Result<FlowfileModel, Diagnostic>; host: MemoryReadHost } {
  const host = memoryReadHost({ ...setup.texts, Flowfile: flowfile }, { ...(setup.files ? { files: setup.files } : {}), ...(setup.shell !== undefined ? { shell: setup.shell } : {}) });
  const opts: ReadOptions = {
    file: "Flowfile",
    ...(setup.overrides ? { overrides: new Map(Object.entries(setup.overrides)) } : {}),
    ...(setup.env ? { env: setup.env } : {}),
  };
  return { result: readFlowfile(host, opts), host };
}

export function readOk(flowfile: string, setup: ReadSetup = {}): FlowfileModel {
  const { result } = read(flowfile, setup);
  if (!result.ok) assert.fail(`expected the Flowfile to read, got:\n${formatDiagnostic(result.error)}`);
  return result.value;
}

export function readErr(flowfile: string, setup: ReadSetup = {}): Diagnostic {
  const { result } = read(flowfile, setup);
  if (result.ok) assert.fail("expected a diagnostic, the Flowfile read fine");
  return result.error;
}

/** The value of `$(name)` after reading, as a recipe or rule would see it. */
export function valueOf(model: FlowfileModel, name: string): string {
  return model.expander.expand(`$(${name})`, model.globals, { loc: undefined, exact: false });
}

/** A GraphFs over a set of existing files; their parent directories exist too. */
export function memoryGraphFs(files: Iterable<string>): GraphFs & { readonly asked: string[] } {
  const set = new Set(files);
  const asked: string[] = [];
  return {
    asked,
    kind(p) {
      asked.push(p);
      if (set.has(p)) return "file";
      for (const f of set) if (f.startsWith(`${p}/`)) return "dir";
      return "missing";
    },
  };
}

export const ROOT = "/proj";

export interface GraphSetup extends ReadSetup {
  readonly goals?: readonly string[];
  readonly allTargets?: boolean;
}

export function graphOf(flowfile: string, setup: GraphSetup = {}): Result<TaskGraph, Diagnostic> {
  const model = readOk(flowfile, setup);
  const files = [...(setup.files ?? []), "Flowfile", ...Object.keys(setup.texts ?? {})];
  return buildTaskGraph(model, { root: ROOT, goals: setup.goals ?? [], ...(setup.allTargets ? { allTargets: true } : {}), fs: memoryGraphFs(files) });
}

export function graphOk(flowfile: string, setup: GraphSetup = {}): TaskGraph {
  const r = graphOf(flowfile, setup);
  if (!r.ok) assert.fail(`expected a graph, got:\n${formatDiagnostic(r.error)}`);
  return r.value;
}

export function graphErr(flowfile: string, setup: GraphSetup = {}): Diagnostic {
  const r = graphOf(flowfile, setup);
  if (r.ok) assert.fail("expected a diagnostic, the graph built fine");
  return r.error;
}

export function taskNamed(g: TaskGraph, name: string): Task {
  const id = g.byName.get(name);
  assert.ok(id !== undefined, `no task named '${name}' (have: ${[...g.byName.keys()].join(", ")})`);
  return g.tasks[id] as Task;
}

export function depNames(g: TaskGraph, t: Task): string[] {
  return t.deps.map((d) => (g.tasks[d] as Task).name);
}

export const LOC: SourceLocation = { file: "Flowfile", line: 1, col: 1, lineText: "" };

/** A hand-made task for scheduler tests. */
export function mkTask(id: number, name: string, deps: readonly number[] = [], extra: Partial<Task> = {}): Task {
  return {
    id,
    name,
    outputs: [{ path: name, isDir: false }],
    inputs: [],
    deps,
    orderOnly: [],
    recipe: `make ${name}`,
    phony: false,
    always: false,
    cached: false,
    tags: [],
    env: [],
    exported: [],
    loc: LOC,
    ...extra,
  };
}

/** A graph from `name: deps` pairs; ids are the listing order. */
export function mkGraph(spec: readonly (readonly [string, readonly string[]])[]): TaskGraph {
  const ids = new Map(spec.map(([n], i) => [n, i] as const));
  const tasks = spec.map(([n, deps], i) => mkTask(i, n, deps.map((d) => ids.get(d) as number)));
  return { tasks, byName: ids, byOutput: new Map(tasks.map((t) => [t.name, t.id] as const)), goals: [], warnings: [] };
}

export function contentHash(s: string): ContentHash {
  return createHash("sha256").update(s).digest("hex").slice(0, 32) as ContentHash;
}

/**
 * The disk and the cache in memory, one object for both sides (`workspace`
 * and `cache` are itself). `files` maps project-relative paths to contents;
 * inputState is memoized per run (like the stat memo), recheckInput is not;
 * actions and blobs are maps; every committed record is kept in `puts`.
 */
export class MemoryBuildHost implements BuildHost, Workspace, ActionCache {
  readonly workspace: Workspace = this;
  readonly cache: ActionCache = this;
  readonly files: Map<string, string>;
  readonly actions = new Map<string, ActionRecord>();
  readonly puts: ActionRecord[] = [];
  readonly removed: string[] = [];
  private readonly blobs = new Map<string, string>();
  private readonly memo = new Map<string, FileState>();
  /** A file's mtime and ctime, where a test has set one; 0 otherwise. */
  readonly touched = new Map<string, number>();
  private clock = 1000;

  constructor(files: Record<string, string> = {}) {
    this.files = new Map(Object.entries(files));
  }

  /** Start a new build: forget the memoized input states. */
  newRun(): void {
    this.memo.clear();
  }

  private state(p: string): FileState {
    const c = this.files.get(p);
    // The identity of an in-memory file is its content: a test that needs an
    // edit-and-revert to show sets `touched` (see recheckInput).
    if (c !== undefined) return { kind: "file", hash: contentHash(c), size: c.length, mode: 0o644, mtimeMs: this.touched.get(p) ?? 0, ctimeMs: this.touched.get(p) ?? 0, ino: 1 };
    for (const f of this.files.keys()) if (f.startsWith(`${p}/`)) return { kind: "dir" };
    return { kind: "missing" };
  }

  inputState(p: string): FileState {
    let s = this.memo.get(p);
    if (!s) {
      s = this.state(p);
      this.memo.set(p, s);
    }
    return s;
  }

  recheckInput(p: string): FileState {
    return this.state(p);
  }

  readText(p: string): string | undefined {
    return this.files.get(p);
  }

  removeOutputs(outputs: readonly OutputDecl[]): void {
    for (const o of outputs) {
      this.removed.push(o.path);
      this.files.delete(o.path);
      if (o.isDir) for (const f of [...this.files.keys()]) if (f.startsWith(`${o.path}/`)) this.files.delete(f);
    }
  }

  async lookup(key: string): Promise<CacheHit | undefined> {
    const r = this.actions.get(key);
    if (r === undefined || r.exitCode !== 0) return undefined;
    return r.discovered === undefined ? { outputs: r.outputs, canonical: r.ingredients } : { outputs: r.outputs, canonical: r.ingredients, discovered: r.discovered };
  }

  /** Commits are dropped, as when the cache cannot store them. */
  loseCommits = false;

  /** Written at once, unless loseCommits. */
  commit(entry: CacheEntry): void {
    if (this.loseCommits) return;
    const record: ActionRecord = { key: entry.key, outputs: [...entry.outputs], exitCode: 0, durationMs: entry.durationMs, ingredients: entry.canonical, createdAt: this.clock };
    if (entry.discovered !== undefined) record.discovered = entry.discovered.map(([p, h]) => [p, h]);
    this.puts.push(record);
    this.actions.set(record.key, record);
  }

  async flush(): Promise<void> {}

  async delete(key: string): Promise<void> {
    this.actions.delete(key);
  }

  async saveOutputs(declared: readonly OutputDecl[]): Promise<SaveResult> {
    const entries: OutputEntry[] = [];
    for (const d of declared) {
      if (d.isDir) {
        const under = [...this.files.keys()].filter((f) => f.startsWith(`${d.path}/`)).sort();
        if (under.length === 0) return { ok: false, reason: "missing-output", path: `${d.path}/`, message: "missing" };
        entries.push({ path: d.path, kind: "dir", mode: 0o755 });
        for (const f of under) entries.push(this.fileEntry(f));
        continue;
      }
      if (!this.files.has(d.path)) return { ok: false, reason: "missing-output", path: d.path, message: "missing" };
      entries.push(this.fileEntry(d.path));
    }
    return { ok: true, stored: true, entries };
  }

  private fileEntry(p: string): OutputEntry {
    const c = this.files.get(p) as string;
    const hash = contentHash(c);
    this.blobs.set(hash, c);
    return { path: p, kind: "file", hash, size: c.length, mode: 0o644 };
  }

  outputsMatch(entries: readonly OutputEntry[]): boolean {
    return entries.every((e) => e.kind !== "file" || (this.files.has(e.path) && contentHash(this.files.get(e.path) as string) === e.hash));
  }

  async restoreOutputs(entries: readonly OutputEntry[]): Promise<RestoreResult> {
    for (const e of entries) {
      if (e.kind !== "file") continue;
      const c = this.blobs.get(e.hash as string);
      if (c === undefined) return { ok: false, reason: "missing-blob", path: e.path, message: "blob gone" };
      this.files.set(e.path, c);
    }
    return { ok: true };
  }

  readonly lastRuns = new Map<string, string>();
  recordLastRun(taskName: string, key: string): void {
    this.lastRuns.set(taskName, key);
  }

  lastRunKey(taskName: string): string | undefined {
    return this.lastRuns.get(taskName);
  }

  async lastRun(taskName: string): Promise<LastRun | undefined> {
    const key = this.lastRuns.get(taskName);
    return key === undefined ? undefined : { key, canonical: this.actions.get(key)?.ingredients };
  }

  logPath(taskName: string): string {
    return `/proj/.flow/logs/${taskName}.log`;
  }

  hashString(s: string): string {
    return contentHash(s);
  }

  now(): number {
    return ++this.clock;
  }
}

/** What a fake recipe does: touch the fake disk, then return an exit code (or a whole RunResult). */
export type FakeRecipe = (files: Map<string, string>, req: RunRequest) => number | RunResult | Promise<number | RunResult>;

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Runs recipes by task name against a MemoryBuildHost; tracks concurrency and order. */
export class FakeRunner implements TaskRunner {
  inFlight = 0;
  maxInFlight = 0;
  readonly started: string[] = [];
  readonly ended: string[] = [];
  readonly requests: RunRequest[] = [];

  constructor(
    private readonly host: MemoryBuildHost,
    private readonly recipes: Record<string, FakeRecipe>,
    private readonly delayMs = 0,
  ) {}

  async run(req: RunRequest): Promise<RunResult> {
    const recipe = this.recipes[req.taskName];
    assert.ok(recipe, `no fake recipe for '${req.taskName}'`);
    this.requests.push(req);
    this.started.push(req.taskName);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.delayMs > 0) await sleep(this.delayMs);
      const r = await recipe(this.host.files, req);
      return typeof r === "number" ? { exitCode: r, signal: null, timedOut: false, interrupted: false } : r;
    } finally {
      this.inFlight--;
      this.ended.push(req.taskName);
    }
  }
}

/** A recipe that writes `files` (path → content) and exits 0. */
export function writes(out: Record<string, string>): FakeRecipe {
  return (files) => {
    for (const [p, c] of Object.entries(out)) files.set(p, c);
    return 0;
  };
}

/** A build of the graph's goals in memory: one job, no force, an empty environment. */
export function buildInMemory(graph: TaskGraph, host: MemoryBuildHost, runner: TaskRunner): Promise<BuildOutcome> {
  return runBuild({
    graph,
    roots: graph.goals,
    root: ROOT,
    host,
    runner,
    emit: () => undefined,
    concurrency: 1,
    keepGoing: false,
    force: false,
    signal: new AbortController().signal,
    baseEnv: {},
    env: {},
  });
}
