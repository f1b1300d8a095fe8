// Job slots for spans of work: the tracks of `flow build --profile` and the
// rows of a run's timeline (history/run-timeline.ts). Apart from
// trace-profile.ts so that the run history, written after every build, does
// not load the profile's writer.
import { MinHeap } from "@flow/graph";

/** Where a span of work starts and ends, on one monotonic clock (ms). */
export interface TimedSpan {
  readonly startMs: number;
  readonly endMs: number;
}

/**
 * Each span's job slot (1-based): in order of start, a span takes the lowest
 * slot whose last span has ended. The clock is monotonic and a task starts
 * only after the one it replaces returned, so no more slots are used than
 * tasks ran at once (at most -j).
 */
export function assignSlots(timings: readonly TimedSpan[]): number[] {
  const byStart = timings.map((_, i) => i).sort((a, b) => (timings[a] as TimedSpan).startMs - (timings[b] as TimedSpan).startMs || a - b);
  const slots = new Array<number>(timings.length).fill(0);
  /** Busy slots by end time; free slots by number. */
  const busy = new MinHeap<{ end: number; slot: number }>((x, y) => x.end - y.end || x.slot - y.slot);
  const free = new MinHeap<number>((x, y) => x - y);
  let count = 0;
  for (const i of byStart) {
    const t = timings[i] as TimedSpan;
    for (let top = busy.peek(); top !== undefined && top.end <= t.startMs; top = busy.peek()) free.push((busy.pop() as { slot: number }).slot);
    const slot = free.pop() ?? ++count;
    slots[i] = slot;
    busy.push({ end: t.endMs, slot });
  }
  return slots;
}
