// "Did you mean": the known name closest to a mistyped one, as git and
// cargo suggest a command. Edit distance with transpositions (optimal string
// alignment), so `biuld` is one step from `build`; a suggestion only within a
// third of the name's length (at least 1, at most 3), so a name with nothing
// near it gets none rather than a random one.

/** The closest of `names` to `wanted`, or undefined when none is close; ties go to the first in sorted order. */
export function closestName(wanted: string, names: Iterable<string>): string | undefined {
  const limit = Math.min(3, Math.max(1, Math.floor(wanted.length / 3)));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const name of names) {
    if (name === wanted || Math.abs(name.length - wanted.length) > limit) continue;
    const d = editDistance(wanted, name, bestDistance);
    if (d < bestDistance || (d === bestDistance && best !== undefined && name < best)) {
      best = name;
      bestDistance = d;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

/** Optimal string alignment distance of `a` and `b`; stops early (returning `cap`) once it must be at least `cap`. */
export function editDistance(a: string, b: string, cap = Infinity): number {
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, (prev2[j - 2] as number) + 1);
      cur.push(v);
      if (v < rowMin) rowMin = v;
    }
    if (rowMin >= cap) return cap;
    prev2 = prev;
    prev = cur;
  }
  return prev[b.length] as number;
}
