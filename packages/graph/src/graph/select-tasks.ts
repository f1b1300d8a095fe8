import type { TaskGraph } from "./task-graph.js";

export interface Selection {
  /** Task ids selected (targets named on the command line, plus every task carrying one of the tags). */
  readonly roots: number[];
  /** Tags asked for that no task carries. */
  readonly unknownTags: string[];
}

/**
 * `--tag T` (repeatable, a union) selects every task tagged T, on top of the
 * goals. With neither targets nor tags the goals stand (the default goal).
 * Build then adds what the selected tasks need; clean and status act on the
 * selection itself.
 */
export function selectTasks(graph: TaskGraph, opts: { targetsGiven: boolean; tags: readonly string[] }): Selection {
  const roots: number[] = opts.targetsGiven || opts.tags.length === 0 ? [...graph.goals] : [];
  const unknownTags: string[] = [];
  for (const tag of opts.tags) {
    let found = false;
    for (const t of graph.tasks) {
      if (!t.tags.includes(tag)) continue;
      found = true;
      if (!roots.includes(t.id)) roots.push(t.id);
    }
    if (!found) unknownTags.push(tag);
  }
  return { roots, unknownTags };
}
