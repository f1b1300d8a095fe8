// How one `flow build` takes part in recursive make (sub-make.ts has the
// pieces, jobserver.ts the job slots): how many tasks it runs at once, the
// variables its Makefile sees ($(MAKE), $(MAKEFLAGS), $(MAKELEVEL)), what its
// recipes inherit, and what it tells the build above it, if any.
import { appendFileSync } from "node:fs";
import type { BuildOutcome, Task, TaskGraph, TaskResult } from "@flow/graph";
import type { SubMakeSetup } from "./build-session.js";
import { Jobserver, makeflagsJobs, parseJobserverAuth } from "./jobserver.js";
import { formatMakeflags, makeCommand, makeflagsOverrides, makeLevel, PARENT_RESULTS, type SubTask } from "./sub-make.js";
import { splitWords } from "../project/load-project.js";
import { parseMakeflags } from "./makeflags.js";

export interface RecursionRequest {
  readonly env: NodeJS.ProcessEnv;
  /** `-j N` on the command line, if given. */
  readonly jobsGiven: number | undefined;
  /** The default -j (the number of cores). */
  readonly defaultJobs: number;
  /** make's one-letter flags in force (the command line's and MAKEFLAGS's: k, s, r...), passed down. */
  readonly letters: ReadonlySet<string>;
  /** Targets and `VAR=value` from the command line. */
  readonly words: readonly string[];
}

export interface Recursion {
  /** The scheduler's limit. Under a jobserver above, a ceiling only: the tokens decide. */
  readonly concurrency: number;
  /** The command line's words, after the `VAR=value` a parent passed in MAKEFLAGS (the command line wins). */
  readonly words: readonly string[];
  /** The environment the Makefile is read with: MAKE, MAKEFLAGS and MAKELEVEL set as make sets them. */
  readonly readEnv: NodeJS.ProcessEnv;
  /** JOBSERVER_UNAVAILABLE, once, when MAKEFLAGS names a jobserver that is not open. */
  readonly warning?: { readonly code: string; readonly message: string };
  /** What the build session needs to pass all this on to recipes. */
  subMake(onSubTasks: (task: string, tasks: SubTask[]) => void): SubMakeSetup;
  /** Gives back every token still held and closes the pipe. */
  close(): void;
}

export function recursion(req: RecursionRequest): Recursion {
  const makeflagsIn = req.env["MAKEFLAGS"];
  const level = makeLevel(req.env);
  const auth = req.jobsGiven === undefined ? parseJobserverAuth(makeflagsIn) : undefined;
  let jobs = req.jobsGiven ?? req.defaultJobs;
  let joined: Jobserver | undefined;
  let warning: Recursion["warning"];
  let concurrency = jobs;
  if (auth !== undefined) {
    // A -j on flow's own command line starts a jobserver of its own instead, as in make.
    const topJobs = makeflagsJobs(makeflagsIn) ?? req.defaultJobs;
    const j = Jobserver.join(auth, topJobs);
    if (j === "closed") {
      warning = {
        code: "JOBSERVER_UNAVAILABLE",
        message: `MAKEFLAGS names a jobserver (${auth.kind === "fifo" ? `fifo:${auth.path}` : `${auth.read},${auth.write}`}) that is not open in this process; running one task at a time (-j 1). In a Makefile, start flow with $(MAKE) or prefix the line with '+' so make passes the jobserver on`,
      };
      jobs = 1;
      concurrency = 1;
    } else {
      joined = j;
      jobs = topJobs;
      concurrency = Math.max(topJobs, 1);
    }
  }
  // Served lazily, with the first recipe: a no-op build pays nothing for it.
  let served: Jobserver | undefined;
  let serveTried = false;
  const jobserver = (): Jobserver | undefined => {
    if (joined !== undefined) return joined;
    // `-j` alone (no limit) serves no jobserver, as in make: its sub-makes run without a limit too.
    if (!serveTried && jobs > 1 && Number.isFinite(jobs)) {
      serveTried = true;
      served = Jobserver.serve(jobs);
    }
    return served;
  };
  const inherited = makeflagsOverrides(makeflagsIn);
  const own = splitWords(req.words).overrides;
  const overrides = new Map([...inherited, ...own]);
  const jobserverWords = jobs === Infinity ? "-j" : jobs > 1 ? `-j${jobs} --jobserver-auth=3,4` : undefined;
  const makeflags = formatMakeflags({ letters: req.letters, ...(jobserverWords !== undefined ? { jobserverWords } : {}), overrides });
  const words = [...[...inherited].filter(([k]) => !own.has(k)).map(([k, v]) => `${k}=${v}`), ...req.words];
  const readEnv: NodeJS.ProcessEnv = { ...req.env, MAKE: makeCommand(), MAKEFLAGS: makeflags, MAKELEVEL: String(level) };
  return {
    concurrency,
    words,
    readEnv,
    ...(warning !== undefined ? { warning } : {}),
    subMake: (onSubTasks) => ({ jobserver, env: { MAKEFLAGS: makeflags, MAKELEVEL: String(level + 1) }, onSubTasks }),
    close: () => {
      served?.close();
      joined?.close();
    },
  };
}

/**
 * A sub-build (FLOW_PARENT_RESULTS names a file) appends one JSON line per
 * task to it, and its own sub-builds' tasks, already named from its
 * directory; the parent names them from its own (sub-make.ts) and counts them
 * in its summary.
 */
export function reportToParent(env: NodeJS.ProcessEnv, root: string, graph: TaskGraph, outcome: BuildOutcome, subTasks: ReadonlyMap<string, SubTask[]>): void {
  const path = env[PARENT_RESULTS];
  if (path === undefined || path === "") return;
  const lines: string[] = [];
  for (const id of outcome.order) {
    const task = graph.tasks[id] as Task;
    const r = outcome.results.get(id) as TaskResult;
    lines.push(JSON.stringify({ root, name: task.name, status: r.status, durationMs: r.durationMs, ...(task.phony ? { phony: true } : {}) }));
    for (const s of subTasks.get(task.name) ?? []) lines.push(JSON.stringify({ root, ...s }));
  }
  try {
    appendFileSync(path, lines.map((l) => `${l}\n`).join(""));
  } catch {
    // The parent is gone or its log directory with it: its summary is all this would have fed.
  }
}

/**
 * The words and environment a command that reads the Makefile but runs
 * nothing (status, explain, clean) reads it with: $(MAKE), $(MAKELEVEL) and
 * $(MAKEFLAGS) as `flow build` with its defaults would set them, so that the
 * keys of recipes naming them are the build's. No jobserver is joined.
 */
export function readingEnv(env: NodeJS.ProcessEnv, words: readonly string[], defaultJobs: number): { env: NodeJS.ProcessEnv; words: readonly string[] } {
  const makeflagsIn = env["MAKEFLAGS"];
  const jobs = parseJobserverAuth(makeflagsIn) !== undefined ? (makeflagsJobs(makeflagsIn) ?? defaultJobs) : defaultJobs;
  const inherited = makeflagsOverrides(makeflagsIn);
  const own = splitWords(words).overrides;
  const overrides = new Map([...inherited, ...own]);
  const makeflags = formatMakeflags({ letters: parseMakeflags(makeflagsIn).letters, ...(jobs > 1 ? { jobserverWords: `-j${jobs} --jobserver-auth=3,4` } : {}), overrides });
  return {
    env: { ...env, MAKE: makeCommand(), MAKEFLAGS: makeflags, MAKELEVEL: String(makeLevel(env)) },
    words: [...[...inherited].filter(([k]) => !own.has(k)).map(([k, v]) => `${k}=${v}`), ...words],
  };
}
