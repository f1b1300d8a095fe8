/**
 * Runs fuzz cases (fuzz-cases.ts) in a worker thread under a watchdog: the
 * worker reports each case before it starts it, and a case that has not
 * finished within `caseTimeoutMs` is a hang; the worker is terminated and the
 * case reported. A case is rebuilt from (seed, index), so only numbers cross
 * the thread boundary.
 */
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { loadSeeds, makeCase } from "./fuzz-cases.js";

export interface FuzzOptions {
  readonly seed: number;
  /** Stop after this many cases... */
  readonly maxCases: number;
  /** ...or after this much time, whichever comes first. */
  readonly budgetMs: number;
  readonly caseTimeoutMs: number;
  /** Start at this case (to reproduce one: first = I, maxCases = 1). */
  readonly first?: number;
  readonly repoRoot: string;
  readonly onProgress?: (done: number) => void;
}

export interface FuzzFailure {
  readonly seed: number;
  readonly index: number;
  /** `hang` or what checkCase said. */
  readonly problem: string;
  readonly flowfile: string;
}

export interface FuzzReport {
  readonly cases: number;
  readonly failures: readonly FuzzFailure[];
}

/** Messages from the worker. */
export type WorkerMessage =
  | { readonly type: "start"; readonly index: number }
  | { readonly type: "fail"; readonly index: number; readonly problem: string }
  | { readonly type: "done"; readonly cases: number };

export interface WorkerData {
  readonly seed: number;
  readonly first: number;
  readonly maxCases: number;
  readonly budgetMs: number;
  readonly repoRoot: string;
}

const MAX_FAILURES = 20;

export async function runFuzz(opts: FuzzOptions): Promise<FuzzReport> {
  const failures: FuzzFailure[] = [];
  const seeds = loadSeeds(opts.repoRoot);
  const record = (index: number, problem: string) => failures.push({ seed: opts.seed, index, problem, flowfile: makeCase(opts.seed, index, seeds).flowfile });
  const started = Date.now();
  let next = opts.first ?? 0;
  let cases = 0;
  // After a hang the worker is gone: start another one after the hanging case, while budget remains.
  while (cases < opts.maxCases && Date.now() - started < opts.budgetMs && failures.length < MAX_FAILURES) {
    const data: WorkerData = { seed: opts.seed, first: next, maxCases: opts.maxCases - cases, budgetMs: opts.budgetMs - (Date.now() - started), repoRoot: opts.repoRoot };
    const r = await runWorker(data, opts.caseTimeoutMs, record, opts.onProgress ? (n) => opts.onProgress?.(cases + n) : undefined);
    cases += r.cases;
    if (r.hungAt === undefined) break;
    record(r.hungAt, `hang: no result within ${opts.caseTimeoutMs} ms`);
    next = r.hungAt + 1;
    cases++;
  }
  return { cases, failures };
}

function runWorker(
  data: WorkerData,
  caseTimeoutMs: number,
  record: (index: number, problem: string) => void,
  onProgress: ((done: number) => void) | undefined,
): Promise<{ cases: number; hungAt?: number }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(fileURLToPath(new URL("./fuzz-worker.js", import.meta.url)), { workerData: data });
    let current = data.first;
    let started = 0;
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const arm = () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        settled = true;
        void worker.terminate().then(() => resolve({ cases: started - 1, hungAt: current }));
      }, caseTimeoutMs);
    };
    arm();
    worker.on("message", (m: WorkerMessage) => {
      if (m.type === "start") {
        current = m.index;
        started++;
        if (started % 100 === 0) onProgress?.(started);
        arm();
      } else if (m.type === "fail") record(m.index, m.problem);
      else {
        if (timer) clearTimeout(timer);
        settled = true;
        void worker.terminate().then(() => resolve({ cases: m.cases }));
      }
    });
    worker.on("error", (e) => {
      if (timer) clearTimeout(timer);
      if (!settled) reject(e);
    });
    worker.on("exit", (code) => {
      if (timer) clearTimeout(timer);
      if (!settled) reject(new Error(`fuzz worker exited with code ${code}`));
    });
  });
}
