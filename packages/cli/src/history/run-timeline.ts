// One run's timeline: the tasks that did work (ran, were restored, failed
// running), each on the job slot it took, in ms from the run's start: what
// `flow runs show N --timeline FILE` and `flow ui` draw as a Gantt chart
// (render/timeline-svg.ts). Read from tasks.json's `spans` (run-record.ts);
// a record made before flow kept them has no timeline.
import { readSummary, readTasks } from "./run-read.js";
import { statusOfLetter } from "./run-files.js";
import type { RunTimeline, TimelineSpan } from "../render/timeline-svg.js";

// The shapes live beside their drawing: render/ sits below history/ (no cycle between folders).
export type { RunTimeline, TimelineSpan } from "../render/timeline-svg.js";

/** The timeline of run N of the workspace at `historyRoot`; undefined when the run is not kept, unreadable, or recorded without one. */
export function readTimeline(historyRoot: string, run: number): RunTimeline | undefined {
  const summary = readSummary(historyRoot, run);
  const tasks = readTasks(historyRoot, run);
  if (summary === undefined || tasks === undefined || !Array.isArray(tasks.spans)) return undefined;
  const bySlot = new Map<number, TimelineSpan[]>();
  for (const row of tasks.spans) {
    if (!Array.isArray(row) || row.length !== 4 || !row.every((v) => Number.isInteger(v))) return undefined;
    const [i, startMs, endMs, slot] = row;
    const task = tasks.names[i];
    if (task === undefined || slot < 1 || endMs < startMs) return undefined;
    const span: TimelineSpan = { task, status: statusOfLetter(tasks.status[i] as string) ?? "skipped", startMs, endMs };
    const list = bySlot.get(slot);
    if (list) list.push(span);
    else bySlot.set(slot, [span]);
  }
  const slots = [...bySlot.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([slot, spans]) => ({ slot, spans: spans.sort((a, b) => a.startMs - b.startMs || a.endMs - b.endMs) }));
  const jobs = typeof tasks.jobs === "number" && tasks.jobs > 0 ? tasks.jobs : slots.length;
  return { run, start: summary.start, end: summary.end, jobs, slots };
}
