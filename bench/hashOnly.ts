// The 1 GiB hashing figure alone (bench/hashThroughput.ts), for working on
// hashing without the whole benchmark:
//
//   node --no-concurrent-recompilation bench/dist/hashOnly.js [--runs N] [--flow-bin PATH] [--work-dir DIR]
//
// Prints the no-op, after-touch and cat medians, flow's GB/s and cat's, and
// their ratio (issue 16's target: flow >= 0.5x cat), with the load average
// before and after: the ratio means little on a busy machine (and flow hashes
// on one core there, see packages/cache/src/lane-split.ts).
import os from "node:os";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { hashThroughput } from "./hashThroughput.js";
import { setFlowBin } from "./tools.js";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "7" },
    "flow-bin": { type: "string" },
    "work-dir": { type: "string" },
  },
});
if (values["flow-bin"] !== undefined) setFlowBin(values["flow-bin"]);
const workDir = values["work-dir"] ?? join(os.tmpdir(), "flow-bench-hash");
const logDir = join(workDir, "logs");
mkdirSync(logDir, { recursive: true });
const runs = Number(values.runs);
const loadBefore = os.loadavg()[0] ?? 0;
const f = hashThroughput(workDir, runs, logDir, (line) => console.log(line), { budgetMs: 600_000, minRuns: runs });
console.log(
  `hashing 1 GiB: flow ${f.flowGBps.toFixed(2)} GB/s, cat ${f.catGBps.toFixed(2)} GB/s, flow/cat ${(f.flowGBps / f.catGBps).toFixed(2)} ` +
    `(load ${loadBefore.toFixed(1)} before, ${(os.loadavg()[0] ?? 0).toFixed(1)} after)`,
);
for (const n of f.notes) console.log(`note: ${n}`);
