/**
 * The environment a recipe sees. Only these variables pass through, plus the
 * task's `.ENV` names (whose values are part of its key) and `export`ed
 * Flowfile variables: a recipe that silently read anything else could give
 * different bytes for the same key. The names below locate tools and
 * temporary space; they are deliberately not hashed, so a laptop and CI with
 * different home directories still share cache entries.
 */
const PASSED = ["PATH", "HOME", "USER", "LOGNAME", "SHELL", "TERM", "TMPDIR", "TZ", "LANG", "LANGUAGE"];

export function recipeBaseEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) continue;
    if (PASSED.includes(k) || k.startsWith("LC_")) out[k] = v;
  }
  return out;
}
