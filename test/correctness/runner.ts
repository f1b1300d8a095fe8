// Running many random sequences, a few at a time.
import { generateCase, type GenOptions } from "./project.js";
import { runSequence, type RunOptions, type SequenceResult } from "./sequence.js";

export async function runMany(
  seeds: readonly number[],
  steps: number,
  jobs: number,
  gen: GenOptions,
  opts: RunOptions,
  onResult: (seed: number, r: SequenceResult) => void | Promise<void>,
  stop: () => boolean = () => false,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < seeds.length && !stop()) {
      const seed = seeds[next++] as number;
      const r = await runSequence(generateCase(seed, gen), steps, opts);
      await onResult(seed, r);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, jobs) }, worker));
}

export function formatCounts(counts: Record<string, number>): string {
  return Object.entries(counts)
    .sort()
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
}
