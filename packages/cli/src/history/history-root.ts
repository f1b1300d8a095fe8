// The workspace whose history a command reads: the Flowfile's directory that
// -C/-f designate, found without reading the Flowfile (a broken one must not
// hide the history of the builds that broke).
import type { Output } from "../render/render.js";
import { findProjectRoot } from "../run/cache-dir.js";
import { historyLimits } from "./run-bounds.js";

/** The root, or undefined after saying on `err` what to do. */
export function historyRoot(dir: string | undefined, file: string | undefined, err: Output): string | undefined {
  const root = findProjectRoot(process.cwd(), dir, file);
  if (root === undefined) err.write("flow: no Flowfile here to find the build history by; run it in the project, or pass -C DIR or -f FILE\n");
  for (const c of historyLimits(process.env).complaints) err.write(`flow: warning: ${c}\n`);
  return root;
}

/** "3 to 7", "3 and 5", "4": the runs kept, for an error saying which exist. */
export function runRange(numbers: readonly number[]): string {
  const sorted = [...numbers].sort((a, b) => a - b);
  if (sorted.length === 0) return "none";
  const first = sorted[0] as number;
  const last = sorted[sorted.length - 1] as number;
  if (sorted.length === 1) return String(first);
  if (last - first + 1 === sorted.length) return `${first} to ${last}`;
  return sorted.length <= 6 ? `${sorted.slice(0, -1).join(", ")} and ${last}` : `${sorted.length} runs from ${first} to ${last} (not all numbers)`;
}
