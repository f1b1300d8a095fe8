/**
 * The cache key of a task: canonical bytes, then a 128-bit hash.
 *
 *   key = H( "flow-key", schema, expanded recipe, outputs,
 *            inputs (path, content hash), dependencies' outputs
 *            (path, content hash, mode; a dependency without outputs: its key),
 *            .ENV name=value, exported variables )
 *
 * Canonical: every list is sorted by path or name and serialized as a JSON
 * array of arrays (no objects, so no key-order ambiguity); paths are
 * project-relative; no time, host or absolute checkout path enters.
 * Dependencies enter through their outputs' content, not their keys, so a
 * dependency that reruns and reproduces the same bytes spares its dependents
 * (early cutoff).
 */
export const KEY_SCHEMA = 1;

/** The ingredient list of a key; kept with each result for `flow explain` and collision checks. */
export interface Ingredients {
  readonly schema: number;
  readonly recipe: string;
  /** Output paths; directories end with `/`. */
  readonly outputs: readonly string[];
  /** [path, content hash or "dir"]. */
  readonly inputs: readonly (readonly [string, string])[];
  /** [dependency name, its outputs as [path, hash or "dir" or `link text -> what it resolves to` (link-input.ts), mode], or its key]. */
  readonly deps: readonly (readonly [string, readonly (readonly [string, string, number])[] | string])[];
  /** [name, value or null when unset]. */
  readonly env: readonly (readonly [string, string | null])[];
  readonly exported: readonly (readonly [string, string])[];
}

export function canonicalIngredients(i: Ingredients): string {
  return JSON.stringify(["flow-key", i.schema, i.recipe, i.outputs, i.inputs, i.deps, i.env, i.exported]);
}

/**
 * The fields of a canonical text, by name; undefined when it is not one.
 * Only the outer shape is checked: the result is untrusted (it comes from a
 * cache record) until asIngredients has checked every part.
 */
export function parseCanonical(text: string): Record<string, unknown> | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined; // not JSON: a damaged or foreign record, treated as "last run unknown"
  }
  if (!Array.isArray(v) || v.length !== 8 || v[0] !== "flow-key") return undefined;
  const [, schema, recipe, outputs, inputs, deps, env, exported] = v as unknown[];
  return { schema, recipe, outputs, inputs, deps, env, exported };
}

/** `hash` is the cache package's 128-bit content hash of a string. */
export function computeKey(i: Ingredients, hash: (s: string) => string): string {
  return hash(canonicalIngredients(i));
}

/** A key with the canonical text it hashes, which a cache record keeps (see recordMatches). */
export interface Keyed {
  readonly key: string;
  readonly canonical: string;
}

export function keyIngredients(i: Ingredients, hash: (s: string) => string): Keyed {
  const canonical = canonicalIngredients(i);
  return { key: hash(canonical), canonical };
}

/**
 * Whether a record filed under a key holds the ingredients that key stands
 * for. Records keep the canonical text itself (not a parsed copy), so this is
 * one string comparison on every cache hit; a difference is a hash collision
 * or a forged record, and the record is never trusted (RELIABILITY 25).
 */
export function recordMatches(recordIngredients: unknown, keyed: Keyed): boolean {
  return recordIngredients === keyed.canonical;
}

const byFirst = <T extends readonly [string, ...unknown[]]>(a: T, b: T) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/** Sort every list of an ingredient set so that declaration order never changes a key. */
export function sortIngredients(i: Ingredients): Ingredients {
  return {
    schema: i.schema,
    recipe: i.recipe,
    outputs: [...i.outputs].sort(),
    inputs: [...i.inputs].sort(byFirst),
    deps: [...i.deps]
      .map(([n, v]) => [n, typeof v === "string" ? v : [...v].sort(byFirst)] as const)
      .sort(byFirst),
    env: [...i.env].sort(byFirst),
    exported: [...i.exported].sort(byFirst),
  };
}
