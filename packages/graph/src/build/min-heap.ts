// A binary min-heap: the scheduler's ready queue (critical-path.ts) and the
// profile's job-slot assignment (cli trace-profile.ts) both need one, and a
// sorted array's insertion is quadratic with tens of thousands of entries.

/** Smallest first by `compare` (negative: a comes first); equal entries leave in no promised order. */
export class MinHeap<T> {
  readonly #items: T[] = [];

  constructor(private readonly compare: (a: T, b: T) => number) {}

  get size(): number {
    return this.#items.length;
  }

  peek(): T | undefined {
    return this.#items[0];
  }

  push(x: T): void {
    const a = this.#items;
    let i = a.length;
    a.push(x);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.compare(x, a[p] as T) >= 0) break;
      a[i] = a[p] as T;
      i = p;
    }
    a[i] = x;
  }

  pop(): T | undefined {
    const a = this.#items;
    const top = a[0];
    const last = a.pop();
    if (top === undefined || last === undefined || a.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= a.length) break;
      const r = l + 1;
      const c = r < a.length && this.compare(a[r] as T, a[l] as T) < 0 ? r : l;
      if (this.compare(a[c] as T, last) >= 0) break;
      a[i] = a[c] as T;
      i = c;
    }
    a[i] = last;
    return top;
  }

  /** The entries in heap order (not sorted). */
  values(): readonly T[] {
    return this.#items;
  }
}
