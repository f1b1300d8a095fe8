// Which ready tasks go into one job array: those with the same directory,
// the same sbatch options and the same environment (one array is one sbatch
// call, so they must share all three), at most `maxSize` per array
// (Slurm's MaxArraySize bounds the indices: 1001 allows 0-1000; flow uses
// MaxArraySize - 1 per array). Order within a group is arrival order.

export interface ArrayMember<T> {
  /** cwd, options and environment, made into one string by the caller. */
  readonly groupKey: string;
  readonly item: T;
}

export function groupIntoArrays<T>(members: readonly ArrayMember<T>[], maxSize: number): T[][] {
  const size = Math.max(1, Math.floor(maxSize));
  const groups = new Map<string, T[]>();
  for (const m of members) {
    let g = groups.get(m.groupKey);
    if (g === undefined) groups.set(m.groupKey, (g = []));
    g.push(m.item);
  }
  const out: T[][] = [];
  for (const g of groups.values()) for (let i = 0; i < g.length; i += size) out.push(g.slice(i, i + size));
  return out;
}
