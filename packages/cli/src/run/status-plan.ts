// The plan `flow status` prints, as data: read the project, plan its
// generated includes first (as the build makes them), then plan the selected
// tasks. `flow status` (when the build's saved state does not vouch for the
// project) and `flow ui` both call it; it prints nothing: warnings go to
// `onWarning`, failures come back as values for the caller to show.
import { formatDiagnostic, planBuild, planGeneratedIncludes, selectTasks, type AssumeFresh, type Diagnostic, type Plan, type PriorLookup, type TaskGraph } from "@flow/graph";
import type { CacheWarning } from "@flow/cache";
import { readProject, type ProjectRequest } from "../project/load-project.js";
import { includesInfo, type IncludesJson } from "../render/plan-render-json.js";
import { openPlanCache, type PlanCache } from "./cache-location.js";
import { unknownTagMessage } from "../render/tag-message.js";

export interface StatusPlanRequest {
  readonly project: ProjectRequest;
  /** `--cache-dir`. */
  readonly cacheDir: string | undefined;
  readonly tags: readonly string[];
  readonly assume?: AssumeFresh;
  readonly onWarning: (w: CacheWarning) => void;
}

export type StatusPlan =
  /** The selected tasks, planned. `includes`: the generated includes, all up to date. */
  | { readonly kind: "planned"; readonly root: string; readonly cacheDir: string; readonly graph: TaskGraph; readonly plan: Plan; readonly roots: readonly number[]; readonly warnings: readonly Diagnostic[]; readonly includes?: IncludesJson; readonly targets: readonly string[] }
  /** Generated includes are not up to date: only the tasks that make them are known (the build's first round). */
  | { readonly kind: "pending"; readonly root: string; readonly cacheDir: string; readonly graph: TaskGraph; readonly plan: Plan; readonly info: IncludesJson; readonly targets: readonly string[] }
  /** A Flowfile that cannot be read: the diagnostic (FLOWnnn, Flowfile:LINE:COL), as the CLI prints it. */
  | { readonly kind: "error"; readonly message: string }
  /** A --tag no task carries. */
  | { readonly kind: "unknown-tags"; readonly message: string; readonly warnings: readonly Diagnostic[] };

/**
 * Reads and plans, with the cache open only while planning. `withCache`, when
 * given, runs on the planned result before the cache is closed (status asks
 * the remote cache with it).
 */
export async function statusPlan(req: StatusPlanRequest, withCache?: (p: StatusPlan, cache: PlanCache) => Promise<void>): Promise<StatusPlan> {
  const read = readProject(req.project);
  if (!read.ok) return { kind: "error", message: formatDiagnostic(read.error) };
  const { root, includes, targets } = read.value;
  const cache = await openPlanCache({ cwd: req.project.cwd, root, option: req.cacheDir, env: req.project.env, onWarning: req.onWarning, stat: (p) => read.value.host.takeStat(p) });
  try {
    let settled: IncludesJson | undefined;
    if (includes.graph && includes.graph.goals.length > 0) {
      const first = await planGeneratedIncludes(includes.graph, { host: cache.host, env: req.project.env });
      const info = includesInfo(includes.graph, includes.targets.map((t) => t.path), !first.settled);
      if (!first.settled) return { kind: "pending", root, cacheDir: cache.dir, graph: includes.graph, plan: first.plan, info, targets };
      settled = info;
    }
    const project = read.value.finish();
    if (!project.ok) return { kind: "error", message: formatDiagnostic(project.error) };
    const planned = await planSelection(project.value.graph, { targetsGiven: project.value.targets.length > 0, tags: req.tags, cache, env: req.project.env, ...(req.assume ? { assume: req.assume } : {}) });
    if (planned.kind === "unknown-tags") return { ...planned, warnings: project.value.warnings };
    const result: StatusPlan = { kind: "planned", root, cacheDir: cache.dir, graph: project.value.graph, plan: planned.plan, roots: planned.roots, warnings: project.value.warnings, ...(settled ? { includes: settled } : {}), targets };
    if (withCache) await withCache(result, cache);
    return result;
  } finally {
    await cache.close();
  }
}

/** The selection of a graph (targets, --tag), planned as a build would take it. */
export async function planSelection(
  graph: TaskGraph,
  o: { readonly targetsGiven: boolean; readonly tags: readonly string[]; readonly cache: PlanCache; readonly env: NodeJS.ProcessEnv; readonly prior?: PriorLookup; readonly assume?: AssumeFresh },
): Promise<{ readonly kind: "planned"; readonly plan: Plan; readonly roots: readonly number[] } | { readonly kind: "unknown-tags"; readonly message: string }> {
  const selection = selectTasks(graph, { targetsGiven: o.targetsGiven, tags: o.tags });
  if (selection.unknownTags.length > 0) return { kind: "unknown-tags", message: unknownTagMessage(graph, selection.unknownTags) };
  const plan = await planBuild({ graph, roots: selection.roots, host: o.cache.host, env: o.env, ...(o.prior !== undefined ? { prior: o.prior } : {}), ...(o.assume !== undefined ? { assume: o.assume } : {}) });
  return { kind: "planned", plan, roots: selection.roots };
}
