// `flow build -n` and `flow build -q`: make's dry run and question, answered
// from the plan (`flow status`'s), so they say exactly what a build would do
// and run nothing.
//
//   -n  prints the expanded recipe of every task that would run (stale, or
//       waiting for one that is), in the order the build takes them; tasks
//       the cache would restore run no recipe and print nothing. Exit 0.
//   -q  prints nothing; exit 0 when nothing would run or be restored, 1
//       otherwise (2 for a bad Flowfile), as make -q.
//
// Generated includes that are not up to date are made first by a build; a
// dry run prints their recipes and says the rest is known only once they
// exist (GNU make, too, makes them even under -n).
import { formatDiagnostic, planBuild, planGeneratedIncludes, planIsNoop, selectTasks, type AssumeFresh, type Plan, type PlannedTask, type Task, type TaskGraph } from "@flow/graph";
import { EXIT } from "../exit-codes.js";
import { readProject, type ProjectRequest } from "../project/load-project.js";
import type { Output } from "../render/render.js";
import { openPlanCache } from "../run/cache-location.js";
import { unknownTagMessage } from "../render/tag-message.js";

export interface PlanOnlyOptions {
  readonly cacheDir: string | undefined;
  readonly tags: readonly string[];
  /** -B: every task with a recipe would run. */
  readonly force: boolean;
  /** --assume-fresh: these tasks would be taken as they are. */
  readonly assume?: AssumeFresh;
  readonly mode: "dry-run" | "question";
  readonly json: boolean;
  readonly out: Output;
  readonly err: Output;
}

export async function planOnly(req: ProjectRequest, o: PlanOnlyOptions): Promise<number> {
  const reading = readProject(req);
  if (!reading.ok) {
    o.err.write(`${formatDiagnostic(reading.error)}\n`);
    return EXIT.usage;
  }
  const { root, includes } = reading.value;
  const cache = await openPlanCache({
    cwd: req.cwd,
    root,
    option: o.cacheDir,
    env: req.env,
    onWarning: (w) => o.err.write(`flow: warning ${w.code}: ${w.message}\n`),
    stat: (p) => reading.value.host.takeStat(p),
  });
  try {
    if (includes.graph && includes.graph.goals.length > 0) {
      const first = await planGeneratedIncludes(includes.graph, { host: cache.host, env: req.env });
      if (!first.settled) {
        if (o.mode === "question") return EXIT.taskFailed;
        const files = includes.targets.map((t) => t.path).join(", ");
        o.out.write(recipesOf(includes.graph, first.plan));
        o.err.write(`flow: dry run: the rest is known once ${files} ${includes.targets.length === 1 ? "is" : "are"} made (a build makes it first, then reads the Flowfile again)\n`);
        return EXIT.ok;
      }
    }
    const project = reading.value.finish();
    if (!project.ok) {
      o.err.write(`${formatDiagnostic(project.error)}\n`);
      return EXIT.usage;
    }
    const { graph } = project.value;
    const selection = selectTasks(graph, { targetsGiven: project.value.targets.length > 0, tags: o.tags });
    if (selection.unknownTags.length > 0) {
      o.err.write(`${unknownTagMessage(graph, selection.unknownTags)}; nothing built\n`);
      return EXIT.usage;
    }
    const plan = await planBuild({ graph, roots: selection.roots, host: cache.host, env: req.env, force: o.force, ...(o.assume ? { assume: o.assume } : {}) });
    if (o.mode === "question") return planIsNoop(plan) ? EXIT.ok : EXIT.taskFailed;
    if (o.json) {
      const tasks = wouldRun(graph, plan).map((t) => ({ name: t.name, status: "would-run", phony: t.phony }));
      o.out.write(`${JSON.stringify({ ok: true, dryRun: true, tasks }, null, 2)}\n`);
    } else o.out.write(recipesOf(graph, plan));
    return EXIT.ok;
  } finally {
    await cache.close();
  }
}

/** The tasks with a recipe that a build would run: stale ones, and those waiting for them. */
function wouldRun(graph: TaskGraph, plan: Plan): Task[] {
  return plan.order
    .map((id) => plan.tasks.get(id) as PlannedTask)
    .filter((p) => p.state === "stale" || p.state === "waiting")
    .map((p) => graph.tasks[p.id] as Task)
    .filter((t) => t.recipe !== "");
}

/** Their recipes, each as the build runs it, one after another. */
function recipesOf(graph: TaskGraph, plan: Plan): string {
  return wouldRun(graph, plan)
    .map((t) => (t.recipe.endsWith("\n") ? t.recipe : `${t.recipe}\n`))
    .join("");
}
