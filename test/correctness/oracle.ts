// The oracle: a model of flow's key rules, written from the design
// (FLOWFILE.md "The cache key" and docs/architecture.md "The build of one
// task"), independent of flow's implementation.
//
//   key(t) = H(recipe text after expansion, output paths,
//              each source input's path and content,
//              each dependency's output contents (a dependency without
//              outputs: its key), each .ENV name=value)
//
// The contents come from the reference clean build (GNU make in a fresh
// directory), never from flow. The model keeps the set of keys it believes
// are cached and the set of blob contents it believes are stored; a task is
//   ran        iff its key is not cached (or a blob it must restore is gone),
//              or it is phony with a recipe and no outputs (runs every time),
//   up-to-date iff its key is cached and its outputs on disk are the cached ones,
//   restored   otherwise.
import { blobShas, contentId, describeSnapDiff, sha256, type Snap } from "./fsutil.js";
import type { Graph, MTask } from "./model.js";

export type Status = "ran" | "restored" | "up-to-date" | "failed" | "cannot-run" | "skipped";
const DONE: ReadonlySet<string> = new Set(["ran", "restored", "up-to-date"]);

/** Which recipes fail (a guard sees FAIL in an input), and which tasks
 * cannot run because something they depend on failed. */
export interface Failures {
  failed: Set<string>;
  blocked: Set<string>;
  /** `flow build -k`: everything else runs; without it, anything else may be skipped. */
  keepGoing: boolean;
}

export function planFailures(
  g: Graph,
  guarded: (t: MTask) => boolean,
  contentOf: (path: string) => string | null,
  keepGoing: boolean,
): Failures {
  const failed = new Set<string>();
  const blocked = new Set<string>();
  for (const name of g.order) {
    const t = g.tasks.get(name) as MTask;
    if (t.deps.some((d) => failed.has(d) || blocked.has(d))) blocked.add(name);
    else if (guarded(t) && t.guardInputs.some((p) => (contentOf(p) ?? "").includes("FAIL"))) failed.add(name);
  }
  return { failed, blocked, keepGoing };
}

export const noFailures: Failures = { failed: new Set(), blocked: new Set(), keepGoing: true };

export interface Ingredients {
  recipe: string;
  outputs: string[];
  inputs: Array<[string, string]>;
  deps: Array<[string, string]>;
  env: Array<[string, string | null]>;
}

export interface CacheModel {
  /** Keys with a cache record. */
  keys: Set<string>;
  /** sha256 of every blob believed present (and intact) in the blob store. */
  blobs: Set<string>;
  /** Blobs overwritten with garbage: "corrupt" until some task that makes
   * those bytes runs again; then "maybe" (a store that skips writing a blob
   * whose file exists keeps the garbage until a restore detects it; one that
   * rewrites it heals it: both are fine). A restore that succeeds proves it
   * intact again. */
  corrupt: Map<string, "corrupt" | "maybe">;
}

export function emptyCache(): CacheModel {
  return { keys: new Set(), blobs: new Set(), corrupt: new Map() };
}

function blobState(cache: CacheModel, sha: string): "ok" | "deleted" | "corrupt" | "maybe" {
  if (cache.blobs.has(sha)) return "ok";
  const c = cache.corrupt.get(sha);
  return c === undefined ? "deleted" : c;
}

export interface Keyed {
  keys: Map<string, string>;
  ingredients: Map<string, Ingredients>;
}

function outSnap(ref: ReadonlyMap<string, Snap>, path: string): Snap {
  const s = ref.get(path);
  if (s === undefined) throw new Error(`oracle: no reference snapshot of ${path}`);
  return s;
}

export function computeKeys(
  g: Graph,
  srcSha: ReadonlyMap<string, string>,
  ref: ReadonlyMap<string, Snap>,
  env: Readonly<Record<string, string>>,
): Keyed {
  const keys = new Map<string, string>();
  const ingredients = new Map<string, Ingredients>();
  for (const name of g.order) {
    const t = g.tasks.get(name) as MTask;
    const ing: Ingredients = {
      recipe: t.recipe,
      outputs: t.outputs.map((o) => (o.dir ? o.path + "/" : o.path)).sort(),
      inputs: t.srcInputs.map((p) => {
        const s = srcSha.get(p);
        if (s === undefined) throw new Error(`oracle: source ${p} of ${name} does not exist`);
        return [p, s] as [string, string];
      }),
      deps: t.deps.flatMap((d): Array<[string, string]> => {
        const dt = g.tasks.get(d) as MTask;
        if (dt.outputs.length === 0) return [[`key:${d}`, keys.get(d) as string]];
        return dt.outputs.map((o) => [o.path, contentId(outSnap(ref, o.path))] as [string, string]);
      }),
      env: [...t.env].sort().map((n) => [n, env[n] ?? null] as [string, string | null]),
    };
    ing.deps.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    ingredients.set(name, ing);
    keys.set(name, sha256(JSON.stringify(["model-v1", ing.recipe, ing.outputs, ing.inputs, ing.deps, ing.env])));
  }
  return { keys, ingredients };
}

/** A phony task with a recipe and no outputs: an action, run on every build and never cached (as make runs it). */
function runsEveryTime(t: MTask): boolean {
  return t.phony && t.outputs.length === 0 && t.recipe !== "";
}

export interface Expectation {
  key: string;
  allowed: Status[];
  why: string;
}

export function expectStatuses(
  g: Graph,
  keyed: Keyed,
  cache: CacheModel,
  disk: ReadonlyMap<string, Snap>,
  ref: ReadonlyMap<string, Snap>,
  previous: ReadonlyMap<string, Ingredients>,
  fail: Failures = noFailures,
): Map<string, Expectation> {
  const out = new Map<string, Expectation>();
  const anyFailure = fail.failed.size > 0;
  // First pass: blobs as they are before the build.
  const restoreFrom = (name: string, st: (sha: string) => "ok" | "gone" | "maybe"): Expectation | null => {
    const t = g.tasks.get(name) as MTask;
    const key = keyed.keys.get(name) as string;
    const differing: string[] = [];
    const diffText: string[] = [];
    for (const o of t.outputs) {
      const d = describeSnapDiff(outSnap(disk, o.path), outSnap(ref, o.path));
      if (d !== null) {
        differing.push(o.path);
        diffText.push(`${o.path} ${d}`);
      }
    }
    if (differing.length === 0) return { key, allowed: ["up-to-date"], why: "key cached, outputs on disk match" };
    const all = t.outputs.flatMap((o) => blobShas(outSnap(ref, o.path)));
    const needed = differing.flatMap((p) => blobShas(outSnap(ref, p)));
    const why = `key cached, on disk: ${diffText.join(", ")}`;
    if (all.every((s) => st(s) === "ok")) return { key, allowed: ["restored"], why };
    if (needed.some((s) => st(s) === "gone")) {
      return { key, allowed: ["ran"], why: `${why}; a blob it needs was deleted or corrupted` };
    }
    return {
      key,
      allowed: ["restored", "ran"],
      why: `${why}; a blob of an intact output was deleted, or a corrupted blob may be back (or not)`,
    };
  };
  for (const name of g.order) {
    const t = g.tasks.get(name) as MTask;
    const key = keyed.keys.get(name) as string;
    if (fail.failed.has(name)) {
      out.set(name, { key, allowed: fail.keepGoing ? ["failed"] : ["failed", "skipped"], why: "an input contains FAIL" });
      continue;
    }
    if (fail.blocked.has(name)) {
      out.set(name, {
        key,
        allowed: fail.keepGoing ? ["cannot-run"] : ["cannot-run", "skipped"],
        why: "depends on a failed task",
      });
      continue;
    }
    if (t.recipe === "" && t.outputs.length === 0) {
      // `all:` with no recipe: nothing to run, ever.
      out.set(name, { key, allowed: ["up-to-date"], why: "no recipe and no outputs" });
      continue;
    }
    if (runsEveryTime(t)) {
      // A phony task with a recipe and no outputs is an action: it runs every time, as in make.
      out.set(name, { key, allowed: ["ran"], why: "phony without outputs: runs every time" });
      continue;
    }
    if (!cache.keys.has(key)) {
      out.set(name, { key, allowed: ["ran"], why: whyNew(keyed.ingredients.get(name), previous.get(name)) });
      continue;
    }
    const before = (sha: string): "ok" | "gone" | "maybe" => {
      const b = blobState(cache, sha);
      return b === "deleted" || b === "corrupt" ? "gone" : b;
    };
    out.set(name, restoreFrom(name, before) as Expectation);
  }

  // Second pass: a task that runs in this build stores its outputs' blobs,
  // so a later restore of the same bytes can succeed. Certainly so when the
  // producer is a dependency (it finishes first) and the blob was deleted;
  // perhaps when it only may run first (parallel) or the blob is corrupt
  // (a store may skip writing over an existing file).
  const ancestors = new Map<string, Set<string>>();
  for (const name of g.order) {
    const set = new Set<string>();
    for (const d of (g.tasks.get(name) as MTask).deps) {
      set.add(d);
      for (const a of ancestors.get(d) ?? []) set.add(a);
    }
    ancestors.set(name, set);
  }
  const producers = new Map<string, Array<{ task: string; certain: boolean }>>();
  for (const name of g.order) {
    const e = out.get(name) as Expectation;
    if (!e.allowed.includes("ran") || fail.failed.has(name) || fail.blocked.has(name)) continue;
    const certain = e.allowed.length === 1 && !(anyFailure && !fail.keepGoing);
    for (const o of (g.tasks.get(name) as MTask).outputs) {
      for (const sha of blobShas(outSnap(ref, o.path))) {
        producers.set(sha, [...(producers.get(sha) ?? []), { task: name, certain }]);
      }
    }
  }
  for (const name of g.order) {
    const e = out.get(name) as Expectation;
    if (e.allowed.includes("up-to-date") || !cache.keys.has(e.key) || fail.failed.has(name) || fail.blocked.has(name) || runsEveryTime(g.tasks.get(name) as MTask)) {
      continue;
    }
    const anc = ancestors.get(name) as Set<string>;
    const during = (sha: string): "ok" | "gone" | "maybe" => {
      const b = blobState(cache, sha);
      if (b === "ok" || b === "maybe") return b;
      // Producers other than this task and its descendants (which run after it).
      const ps = (producers.get(sha) ?? []).filter((p) => p.task !== name && !ancestors.get(p.task)?.has(name));
      if (ps.length === 0) return "gone";
      if (b === "deleted" && ps.some((p) => p.certain && anc.has(p.task))) return "ok";
      return "maybe";
    };
    const e2 = restoreFrom(name, during) as Expectation;
    if (e2.allowed.join() !== e.allowed.join()) {
      out.set(name, { ...e2, why: `${e2.why}; another task of this build stores the bytes` });
    }
  }
  if (anyFailure && !fail.keepGoing) {
    // Without -k, flow stops starting tasks after a failure: any other task may be skipped.
    for (const [name, e] of out) {
      if (!fail.failed.has(name) && !fail.blocked.has(name) && !e.allowed.includes("skipped")) {
        out.set(name, { ...e, allowed: [...e.allowed, "skipped"] });
      }
    }
  }
  return out;
}

/** After a build: every built key is cached; tasks that ran stored their outputs. */
export function advanceCache(
  g: Graph,
  keyed: Keyed,
  cache: CacheModel,
  observed: ReadonlyMap<string, string>,
  ref: ReadonlyMap<string, Snap>,
): void {
  for (const name of g.order) {
    const t = g.tasks.get(name) as MTask;
    const st = observed.get(name);
    if (st === undefined || !DONE.has(st)) continue; // failed, cannot-run, skipped: nothing cached
    if (runsEveryTime(t)) continue; // never cached
    cache.keys.add(keyed.keys.get(name) as string);
    for (const o of t.outputs) {
      for (const s of blobShas(outSnap(ref, o.path))) {
        if (st === "restored") {
          cache.blobs.add(s); // restored and verified: intact
          cache.corrupt.delete(s);
        } else if (st === "ran") {
          if (cache.corrupt.has(s)) cache.corrupt.set(s, "maybe");
          else cache.blobs.add(s);
        }
      }
    }
  }
}

/** Why a key is new, relative to the task's previous ingredients. */
export function whyNew(now: Ingredients | undefined, before: Ingredients | undefined): string {
  if (now === undefined) return "?";
  if (before === undefined) return "key not cached (task new to this workspace)";
  const parts: string[] = [];
  if (now.recipe !== before.recipe) parts.push("recipe text changed");
  if (JSON.stringify(now.outputs) !== JSON.stringify(before.outputs)) parts.push("outputs changed");
  const diffPairs = (label: string, a: Array<[string, unknown]>, b: Array<[string, unknown]>): void => {
    const ma = new Map(a);
    const mb = new Map(b);
    for (const [k, v] of ma) {
      if (!mb.has(k)) parts.push(`${label} ${k} added`);
      else if (mb.get(k) !== v) parts.push(`${label} ${k} changed`);
    }
    for (const k of mb.keys()) if (!ma.has(k)) parts.push(`${label} ${k} removed`);
  };
  diffPairs("input", now.inputs, before.inputs);
  diffPairs("dependency output", now.deps, before.deps);
  diffPairs("env", now.env, before.env);
  if (parts.length === 0) return "key not cached (ingredients as in the last build: cache was deleted?)";
  return "key not cached: " + parts.join(", ");
}
