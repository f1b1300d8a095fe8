// What the scheduler is told about the tasks of a build: the order it picks
// ready tasks in (the critical path unless FLOW_SCHEDULE=fifo) and each
// task's expected duration, its last recorded run (history/durations.ts).
import type { ExpectedMs, ScheduleOrder, Task } from "@flow/graph";
import { readDurations } from "../history/durations.js";

export interface ScheduleHints {
  readonly order: ScheduleOrder;
  readonly expectedMs: ExpectedMs;
}

/**
 * The durations file is read on the first call of `expectedMs`, which the
 * scheduler makes only when it runs: a build whose state vouches for every
 * task reads nothing. `FLOW_SCHEDULE=fifo` starts ready tasks first in,
 * first out (to compare; docs/benchmarks.md); `critical-path`, empty or
 * unset is the default; anything else is warned about and ignored.
 */
export function scheduleHints(root: string, env: NodeJS.ProcessEnv, warn: (w: { code: string; message: string }) => void): ScheduleHints {
  const asked = env["FLOW_SCHEDULE"];
  if (asked !== undefined && asked !== "" && asked !== "fifo" && asked !== "critical-path") {
    warn({ code: "UNKNOWN_SCHEDULE", message: `FLOW_SCHEDULE=${asked} is neither 'critical-path' nor 'fifo'; scheduling by the critical path` });
  }
  let durations: Map<string, number> | undefined;
  return {
    order: asked === "fifo" ? "fifo" : "critical-path",
    expectedMs: (t: Task) => (durations ??= readDurations(root)).get(t.name),
  };
}
