/**
 * What differs between two ingredient lists of one task: the current one and
 * the one kept with its last successful run. The planner turns the first
 * difference into a one-line reason (`flow status`, `flow build --explain`);
 * `flow explain` prints all of it.
 *
 * Ingredients read back from the cache are untrusted (an old or corrupt
 * record): `asIngredients` checks their shape first, and a record that does
 * not pass is treated as "last run unknown", never as a crash.
 */
import { parseCanonical, type Ingredients } from "./key.js";

/** A dependency's part of the key: its outputs as [path, hash or link target or "dir", mode], or its key. */
export type DepValue = readonly (readonly [string, string, number])[] | string;

export interface ValueChange<T> {
  readonly name: string;
  /** null: not there before (added). */
  readonly old: T | null;
  /** null: not there now (removed). */
  readonly new: T | null;
}

export interface IngredientDiff {
  readonly schemaChanged: boolean;
  /** Both texts, when the recipe changed. */
  readonly recipe?: { readonly old: string; readonly new: string };
  readonly outputsAdded: readonly string[];
  readonly outputsRemoved: readonly string[];
  /** Inputs whose content hash changed, or that were added or removed; sorted by path. */
  readonly inputs: readonly ValueChange<string>[];
  /** `.ENV` values that changed (a value is null when the variable is unset). */
  readonly env: readonly { readonly name: string; readonly old: string | null | undefined; readonly new: string | null | undefined }[];
  /** Exported Flowfile variables that changed. */
  readonly exported: readonly ValueChange<string>[];
  /** Dependencies whose outputs (or key) changed, or that were added or removed. */
  readonly deps: readonly ValueChange<DepValue>[];
}

export function isEmptyDiff(d: IngredientDiff): boolean {
  return (
    !d.schemaChanged &&
    d.recipe === undefined &&
    d.outputsAdded.length === 0 &&
    d.outputsRemoved.length === 0 &&
    d.inputs.length === 0 &&
    d.env.length === 0 &&
    d.exported.length === 0 &&
    d.deps.length === 0
  );
}

/** Compares `now` with `before`, list by list; every result list is sorted by name. */
export function diffIngredients(now: Ingredients, before: Ingredients): IngredientDiff {
  const outNow = new Set(now.outputs);
  const outBefore = new Set(before.outputs);
  // `.ENV` entries carry null for "unset"; a name missing from one side was not declared there.
  const envNow = new Map(now.env.map(([n, v]) => [n, v] as const));
  const envBefore = new Map(before.env.map(([n, v]) => [n, v] as const));
  const env: { name: string; old: string | null | undefined; new: string | null | undefined }[] = [];
  for (const name of unionSorted(envNow.keys(), envBefore.keys())) {
    const a = envBefore.get(name);
    const b = envNow.get(name);
    if (a !== b || envNow.has(name) !== envBefore.has(name)) env.push({ name, old: a, new: b });
  }
  return {
    schemaChanged: now.schema !== before.schema,
    ...(now.recipe !== before.recipe ? { recipe: { old: before.recipe, new: now.recipe } } : {}),
    outputsAdded: now.outputs.filter((o) => !outBefore.has(o)).sort(),
    outputsRemoved: before.outputs.filter((o) => !outNow.has(o)).sort(),
    inputs: changes(now.inputs, before.inputs, (a, b) => a === b),
    env,
    exported: changes(now.exported, before.exported, (a, b) => a === b),
    deps: changes(now.deps, before.deps, sameDepValue),
  };
}

function changes<T>(now: readonly (readonly [string, T])[], before: readonly (readonly [string, T])[], same: (a: T, b: T) => boolean): ValueChange<T>[] {
  const a = new Map(before.map(([n, v]) => [n, v] as const));
  const b = new Map(now.map(([n, v]) => [n, v] as const));
  const out: ValueChange<T>[] = [];
  for (const name of unionSorted(a.keys(), b.keys())) {
    const old = a.has(name) ? (a.get(name) as T) : null;
    const cur = b.has(name) ? (b.get(name) as T) : null;
    if (old === null || cur === null || !same(old, cur)) out.push({ name, old, new: cur });
  }
  return out;
}

function sameDepValue(a: DepValue, b: DepValue): boolean {
  if (typeof a === "string" || typeof b === "string") return a === b;
  return a.length === b.length && a.every((e, i) => { const f = b[i]; return f !== undefined && e[0] === f[0] && e[1] === f[1] && e[2] === f[2]; });
}

function unionSorted(a: Iterable<string>, b: Iterable<string>): string[] {
  return [...new Set([...a, ...b])].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
}

/**
 * Narrows a record's `ingredients` (decoded from disk, so untrusted: the
 * canonical text the build stores, or an object of that shape) to an
 * Ingredients value; undefined when any part has another shape.
 */
export function asIngredients(stored: unknown): Ingredients | undefined {
  const v = typeof stored === "string" ? parseCanonical(stored) : stored;
  if (typeof v !== "object" || v === null || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o["schema"] !== "number" || typeof o["recipe"] !== "string") return undefined;
  if (!isStringList(o["outputs"])) return undefined;
  if (!isPairList(o["inputs"], (x) => typeof x === "string")) return undefined;
  if (!isPairList(o["env"], (x) => typeof x === "string" || x === null)) return undefined;
  if (!isPairList(o["exported"], (x) => typeof x === "string")) return undefined;
  if (!isPairList(o["deps"], isDepValue)) return undefined;
  return o as unknown as Ingredients;
}

function isStringList(v: unknown): boolean {
  return Array.isArray(v) && v.every((x) => typeof x === "string");
}

function isPairList(v: unknown, second: (x: unknown) => boolean): boolean {
  return Array.isArray(v) && v.every((p) => Array.isArray(p) && p.length === 2 && typeof p[0] === "string" && second(p[1]));
}

function isDepValue(x: unknown): boolean {
  if (typeof x === "string") return true;
  return Array.isArray(x) && x.every((e) => Array.isArray(e) && e.length === 3 && typeof e[0] === "string" && typeof e[1] === "string" && typeof e[2] === "number");
}
