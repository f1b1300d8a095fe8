import type { Comparison } from "./compareTools.js";
import type { FlowOnlyFigures } from "./flowOnlyFigures.js";
import type { HashFigures } from "./hashThroughput.js";
import type { HyperfineMedians } from "./hyperfineNoop.js";
import type { Machine } from "./machine.js";
import type { ProfileSummary } from "./profileFlow.js";
import type { RemoteRestoreFigures } from "./remoteRestore.js";
import type { ToolFigures } from "./runPlan.js";
import type { Shape } from "./shape.js";
import type { ToolName } from "./tools.js";

/** Everything measured for one size. */
export interface SizeResult {
  size: number;
  shape: Shape;
  editFile: string;
  /** Tasks downstream of the edited file: what an mtime tool reruns after touching it. */
  dependentsOfEdit: number;
  generateMs: number;
  comparison: Comparison;
  hyperfine?: HyperfineMedians;
  flowOnly?: FlowOnlyFigures;
  /** A fresh checkout restoring from a remote cache on loopback (remoteRestore.ts), or why not measured. */
  remote?: RemoteRestoreFigures | { skipped: string };
  /** CPU profiles of flow, by scenario ("noop", "edit"). */
  profiles?: Record<string, ProfileSummary>;
}

/** One whole `npm run bench`, as written to bench/out/*.json. */
export interface BenchResults {
  startedAt: string;
  finishedAt: string;
  /** The arguments run.js was given. */
  args: string[];
  machine: Machine;
  tools: ToolName[];
  /** The flow bin measured. */
  flowBin: string;
  /** Rounds at most, for full builds and for the rest. */
  buildRuns: number;
  fastRuns: number;
  /** Per-scenario time budget in s, and the rounds run whatever it says. */
  budgetS: number;
  minRuns: number;
  /** Median time of `/usr/bin/time true` through the harness: the fixed cost in every figure. */
  floorMs: number;
  sizes: SizeResult[];
  /** The no-op of plain `make -j2`, built-in implicit rules on, measured once. */
  makeImplicit?: { size: number; figures: ToolFigures };
  hashing?: HashFigures;
  notes: string[];
}
