// The CLI side of generated includes (see packages/graph/src/graph/generated-includes.ts):
// build the included files a reading of the Flowfile needs, in a build
// session like the build proper's (openBuildSession: the same lock, cache,
// host and runner), and say whether anything changed on disk (then the
// Flowfile is read again).
import type { BuildEvent, IncludeRef, TaskGraph } from "@flow/graph";
import { openBuildSession } from "./build-session.js";
import { resolveCacheDir } from "./cache-dir.js";
import { EXIT } from "../exit-codes.js";
import type { IncludeBuilder, IncludeBuildResult } from "../project/load-project.js";
import type { Output, TextRenderer } from "../render/render.js";

export interface IncludeBuilderOptions {
  readonly cwd: string;
  /** `--cache-dir`. */
  readonly cacheDir: string | undefined;
  readonly env: NodeJS.ProcessEnv;
  readonly jobs: number;
  readonly renderer: TextRenderer;
  /** Progress lines ("reading the Flowfile again"). */
  readonly out: Output;
  /** Where lock messages go. */
  readonly err: Output;
  readonly noWait: boolean;
  /** Each task of each round as it ended, up-to-date ones included (`flow build --json`: `includes`). */
  readonly onTask?: (t: IncludeTaskResult) => void;
}

/** A task of the include graph as a round left it; rounds count from 1. */
export interface IncludeTaskResult {
  readonly round: number;
  readonly name: string;
  readonly status: string;
  readonly durationMs: number;
  readonly key: string | null;
}

export function includeBuilder(opts: IncludeBuilderOptions): IncludeBuilder {
  let round = 0;
  return (root, graph, targets) => buildIncludes(opts, ++round, root, graph, targets);
}

async function buildIncludes(opts: IncludeBuilderOptions, round: number, root: string, graph: TaskGraph, targets: readonly IncludeRef[]): Promise<IncludeBuildResult> {
  const session = await openBuildSession({
    root,
    cacheDir: resolveCacheDir(opts.cwd, opts.cacheDir, opts.env, root),
    env: opts.env,
    renderer: opts.renderer,
    err: opts.err,
    noWait: opts.noWait,
  });
  if (session === undefined) return { ok: false, exitCode: EXIT.taskFailed };
  // Tasks that did work (or failed) are shown; up-to-date ones would repeat in
  // every reading, and the summary is left to the build proper.
  const emit = (e: BuildEvent) => {
    if (e.type === "task-end") {
      const r = e.result;
      opts.onTask?.({ round, name: e.task.name, status: r.status, durationMs: r.durationMs, key: r.key ?? null });
    }
    if (e.type === "build-start" || e.type === "build-end") return;
    if (e.type === "task-end" && e.result.status === "up-to-date") return;
    opts.renderer.handle(e);
  };
  try {
    const outcome = await session.build({ graph, roots: graph.goals, emit, concurrency: opts.jobs, keepGoing: false, force: false });
    if (session.interrupted) return { ok: false, exitCode: EXIT.interrupted };
    if (!outcome.ok) {
      opts.out.write(`flow: could not make the included file${targets.length === 1 ? "" : "s"} ${targets.map((t) => t.path).join(", ")}; build failed\n`);
      return { ok: false, exitCode: EXIT.taskFailed };
    }
    const changed = [...outcome.results.values()].some((r) => r.status === "ran" || r.status === "restored");
    if (changed) opts.out.write(`flow: made ${targets.map((t) => t.path).join(", ")}; reading the Flowfile again\n`);
    return { ok: true, changed };
  } finally {
    await session.close();
  }
}
