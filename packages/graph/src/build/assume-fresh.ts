/**
 * `--assume-fresh PATTERN` (make's `-o FILE` / `--assume-old`, for tasks):
 * which tasks a build takes as fresh without looking at their ingredients.
 *
 * A pattern is matched against the whole task name with make's `$(filter)`
 * rule: at most one `%`, which stands for any text (slashes included); a
 * pattern without `%` names one task. The same `%` the Flowfile's pattern
 * rules use, so `out/points/run-%.csv` switches off every instance of the
 * rule that makes them.
 *
 * The decision itself is decide-task.ts's (verdict "assumed"); this module
 * only says which tasks it applies to.
 */
import { matchPattern } from "../reader/words.js";
import type { Task } from "../graph/task-graph.js";

/** Whether --assume-fresh applies to a task; undefined: no --assume-fresh given. */
export type AssumeFresh = (task: Task) => boolean;

export type AssumeParse = { readonly ok: true; readonly assume: AssumeFresh | undefined } | { readonly ok: false; readonly message: string };

/** The matcher for the given patterns (undefined for none), or why a pattern is not one. */
export function assumeFreshMatcher(patterns: readonly string[]): AssumeParse {
  for (const p of patterns) {
    if (p.trim() === "") return { ok: false, message: "--assume-fresh needs a task name or a pattern with one %, got an empty one" };
    if (p.indexOf("%") !== p.lastIndexOf("%")) return { ok: false, message: `--assume-fresh '${p}': a pattern has at most one % (make's $(filter) patterns)` };
  }
  if (patterns.length === 0) return { ok: true, assume: undefined };
  const list = [...patterns];
  return { ok: true, assume: (task) => list.some((p) => matchPattern(p, task.name) !== undefined) };
}

/** The patterns that match none of these tasks (a typo, most likely). */
export function unmatchedPatterns(patterns: readonly string[], tasks: readonly Task[]): string[] {
  return patterns.filter((p) => !tasks.some((t) => matchPattern(p, t.name) !== undefined));
}
