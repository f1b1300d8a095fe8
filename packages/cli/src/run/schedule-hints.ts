// What the scheduler is told about the tasks of a build: the order it picks
// ready tasks in (the critical path unless FLOW_SCHEDULE=fifo) and each
// task's expected duration, its last recorded run (run/durations.ts).
import type { ExpectedMs, ScheduleOrder, Task } from "@flow/graph";

export interface ScheduleHints {
  readonly order: ScheduleOrder;
  readonly expectedMs: ExpectedMs;
}

/**
 * `durations` (read once, on its first call: build-command.ts) is asked by
 * `expectedMs`, which the scheduler calls only when it runs: a build whose state vouches for every
 * task reads nothing. `FLOW_SCHEDULE=fifo` starts ready tasks first in,
 * first out (to compare; docs/benchmarks.md); `critical-path`, empty or
 * unset is the default; anything else is warned about and ignored.
 */
export function scheduleHints(durations: () => ReadonlyMap<string, number>, env: NodeJS.ProcessEnv, warn: (w: { code: string; message: string }) => void): ScheduleHints {
  const asked = env["FLOW_SCHEDULE"];
  if (asked !== undefined && asked !== "" && asked !== "fifo" && asked !== "critical-path") {
    warn({ code: "UNKNOWN_SCHEDULE", message: `FLOW_SCHEDULE=${asked} is neither 'critical-path' nor 'fifo'; scheduling by the critical path` });
  }
  return {
    order: asked === "fifo" ? "fifo" : "critical-path",
    expectedMs: (t: Task) => durations().get(t.name),
  };
}
