import type { Shape } from "./shape.js";

/** How a task makes its output; each tool spells it the same way once expanded. */
export type RecipeKind = "cat" | "cp" | "touch";

export interface BenchTask {
  /** The output path, relative to the project root; also the task's name. */
  output: string;
  /** Prerequisites in order: other tasks' outputs first, then sources. */
  prereqs: string[];
  recipe: RecipeKind;
}

export interface BenchGraph {
  shape: Shape;
  /** Source paths, relative to the project root, in index order. */
  sources: string[];
  tasks: BenchTask[];
  /** The source that the edit and touch scenarios change: the head of a chain mid-graph. */
  editFile: string;
  /** Tasks downstream of `editFile` (what an mtime-based tool reruns after touching it). */
  dependentsOfEdit: number;
}

/** Zero-padded decimal of `n` in `width` digits. */
function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

/** The task graph that `shape` describes (see shape.ts); pure, deterministic. */
export function benchGraph(shape: Shape): BenchGraph {
  const { tasks: n, files, inputsPerTask: k, group, chain, copies, joins, joinWidth } = shape;
  const regular = n - joins;
  if (regular < group || chain < 1 || chain > group || joinWidth > regular) {
    throw new Error(`inconsistent shape: ${JSON.stringify(shape)}`);
  }
  const fileDigits = String(Math.max(files - 1, 0)).length;
  const sources: string[] = [];
  for (let s = 0; s < files; s++) {
    sources.push(`src/d${pad(Math.floor(s / 1000), 3)}/f${pad(s, fileDigits)}`);
  }
  const sourcesOf = (i: number): string[] => {
    const mine: string[] = [];
    for (let j = 0; j < k; j++) mine.push(sources[(i * k + j) % files] as string);
    return mine;
  };

  const taskDigits = String(regular - 1).length;
  const outputOf = (i: number): string => `out/t${pad(i, taskDigits)}`;
  const tasks: BenchTask[] = [];
  for (let i = 0; i < regular; i++) {
    const g = Math.floor(i / group);
    const p = i % group;
    const deps: string[] = [];
    let recipe: RecipeKind;
    if (p < chain) {
      if (p > 0) deps.push(outputOf(i - 1));
      recipe = "cat";
    } else {
      if (g > 0) deps.push(outputOf((g - 1) * group + chain - 1));
      recipe = p - chain < copies ? "cp" : "touch";
    }
    tasks.push({ output: outputOf(i), prereqs: [...deps, ...sourcesOf(i)], recipe });
  }
  const stride = Math.floor(regular / joinWidth);
  for (let j = 0; j < joins; j++) {
    const deps: string[] = [];
    for (let m = 0; m < joinWidth; m++) deps.push(outputOf((j + m * stride) % regular));
    tasks.push({ output: `out/join${j}`, prereqs: [...deps, ...sourcesOf(regular + j)], recipe: "cat" });
  }

  const editTask = Math.floor(regular / group / 2) * group;
  const editFile = sourcesOf(editTask)[0] as string;
  return { shape, sources, tasks, editFile, dependentsOfEdit: countDependents(tasks, editFile) };
}

/** How many tasks depend, directly or not, on `path`. */
function countDependents(tasks: readonly BenchTask[], path: string): number {
  const readers = new Map<string, string[]>();
  for (const t of tasks) {
    for (const p of t.prereqs) {
      let list = readers.get(p);
      if (!list) readers.set(p, (list = []));
      list.push(t.output);
    }
  }
  const seen = new Set<string>();
  const queue = [path];
  for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
    for (const r of readers.get(next) ?? []) {
      if (!seen.has(r)) {
        seen.add(r);
        queue.push(r);
      }
    }
  }
  return seen.size;
}
