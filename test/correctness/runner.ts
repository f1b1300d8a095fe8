// Running many random sequences, a few at a time.
import { generateCase, type GenOptions } from "./project.js";
import { runSequence, type RunOptions, type SequenceResult } from "./sequence.js";

/** The options of the k-th sequence (seed `seed`): the same for all, or chosen per sequence. */
export type OptionsFor = RunOptions | ((seed: number, k: number) => RunOptions);

export async function runMany(
  seeds: readonly number[],
  steps: number,
  jobs: number,
  gen: GenOptions,
  opts: OptionsFor,
  onResult: (seed: number, r: SequenceResult) => void | Promise<void>,
  stop: () => boolean = () => false,
): Promise<void> {
  let next = 0;
  let thrown: Error | null = null;
  const worker = async (): Promise<void> => {
    while (next < seeds.length && thrown === null && !stop()) {
      const k = next++;
      const seed = seeds[k] as number;
      try {
        const r = await runSequence(generateCase(seed, gen), steps, typeof opts === "function" ? opts(seed, k) : opts);
        await onResult(seed, r);
      } catch (e) {
        // A bug in the test itself (or a full disk): say which seed it was on.
        thrown ??= new Error(`seed ${seed}: the correctness test threw: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, jobs) }, worker));
  if (thrown !== null) throw thrown;
}

/** The command that runs one sequence again exactly (and shrinks it if it fails). */
export function reproduceCommand(seed: number | string, steps: number, gen: GenOptions, opts: RunOptions): string {
  return (
    `npm run test:correctness -- --runs 1 --seed ${seed} --steps ${steps} --tasks ${gen.minTasks}-${gen.maxTasks}` +
    ` --clean ${opts.cleanFlow} --checkout ${opts.checkout} --status ${opts.status}` +
    (opts.server === true ? " --server on" : "") +
    (opts.exclude.size > 0 ? ` --exclude ${[...opts.exclude].sort().join(",")}` : "")
  );
}

export function formatCounts(counts: Record<string, number>): string {
  return Object.entries(counts)
    .sort()
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
}
