// What build, status and clean say when a --tag names no task.
import type { TaskGraph } from "@flow/graph";

export function unknownTagMessage(graph: TaskGraph, unknown: readonly string[]): string {
  const known = [...new Set(graph.tasks.flatMap((t) => t.tags))].sort();
  const list = unknown.map((t) => `'${t}'`).join(", ");
  return `flow: no task has the tag ${list} (${known.length > 0 ? `tags in this Flowfile: ${known.join(", ")}` : "no task has tags"})`;
}
