// The worker side of fuzz-driver.ts: runs cases in order, announcing each
// before it starts, so the driver can tell a hang from a slow run.
import { parentPort, workerData } from "node:worker_threads";
import { checkCase, loadSeeds, makeCase } from "./fuzz-cases.js";
import type { WorkerData, WorkerMessage } from "./fuzz-driver.js";

const data = workerData as WorkerData;
const port = parentPort;
if (!port) throw new Error("fuzz-worker.js runs as a worker thread (see fuzz-driver.ts)");
const post = (m: WorkerMessage) => port.postMessage(m);
const seeds = loadSeeds(data.repoRoot);
const started = Date.now();
let n = 0;
for (let i = data.first; n < data.maxCases && Date.now() - started < data.budgetMs; i++, n++) {
  post({ type: "start", index: i });
  const problem = checkCase(makeCase(data.seed, i, seeds));
  if (problem !== undefined) post({ type: "fail", index: i, problem });
}
post({ type: "done", cases: n });
