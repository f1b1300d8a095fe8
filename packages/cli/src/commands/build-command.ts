import { availableParallelism } from "node:os";
import { Command, Option } from "./clipanion.js";
import { RemoteCommand } from "./remote-command.js";
import { formatDiagnostic, selectTasks, type BuildEvent, type Task, type TaskResult } from "@flow/graph";
import { afterBuild } from "../run/cache-upkeep.js";
import { unknownTagMessage } from "./tag-message.js";
import { includeBuilder, type IncludeTaskResult } from "../run/include-builder.js";
import { openBuildSession } from "../run/build-session.js";
import { loadProjectBuildingIncludes } from "../project/load-project.js";
import { WhyLines } from "../render/plan-render-why.js";
import { TextRenderer } from "../render/render.js";
import { EXIT } from "../exit-codes.js";
import { remoteSummary } from "../render/remote-summary.js";
import type { RemoteReport } from "../render/remote-summary.js";
import { warmRemote, warmSummary, type WarmReport } from "../run/cache-warm.js";

export class BuildCommand extends RemoteCommand {
  static override paths = [["build"]];

  static override usage = Command.Usage({
    description: "build targets, running only what changed",
    details: `
      Builds the given targets (default: the Flowfile's first rule) and everything they need.
      A task runs only when its key (recipe, inputs' contents, dependencies' outputs, .ENV values)
      has no result in the cache; otherwise its outputs are left alone or restored from the cache.

      Exit codes: 0 success, 1 a task failed, 2 a bad Flowfile or usage, 130 interrupted.
    `,
    examples: [
      ["Build the default goal", "$0 build"],
      ["Build a target in another directory with 8 jobs", "$0 build -C recipes/c-project -j 8 build/app"],
      ["Override a variable", "$0 build CFLAGS=-O0"],
      ["Keep going after a failure and print a JSON summary", "$0 build -k --json"],
      ["Build the tasks tagged check and what they need", "$0 build --tag check"],
    ],
  });

  jobs = Option.String("-j,--jobs", { description: "Run at most N tasks at once (default: number of cores)" });
  keepGoing = Option.Boolean("-k,--keep-going", false, { description: "Go on with everything that does not depend on a failure" });
  force = Option.Boolean("--force", false, { description: "Rerun the selected tasks even when cached" });
  json = Option.Boolean("--json", false, { description: "Print the summary as one JSON document on stdout" });
  verbose = Option.Boolean("-v,--verbose", false, { description: "Also list tasks that were up to date" });
  explain = Option.Boolean("--explain", false, { description: "Say why each task that runs runs, one line each (see flow explain)" });
  tags = Option.Array("--tag", [], { description: "Also build the tasks tagged T (repeatable: the union)" });
  noWait = Option.Boolean("--no-wait", false, { description: "Fail at once if another build or clean holds the workspace lock" });
  noBuiltinRules = Option.Boolean("-r,--no-builtin-rules", false, { description: "No built-in rules (make's %.o: %.c and others), as make -r" });
  noBuiltinVariables = Option.Boolean("-R,--no-builtin-variables", false, { description: "No built-in variables (CC, COMPILE.c ...) and no built-in rules, as make -R" });
  words = Option.Rest({ name: "targets and VAR=value" });

  /** `flow cache warm`: the build restores from the remote read-only, then uploads what it lacks (cache-warm.ts). */
  protected readonly warming: boolean = false;

  override async execute(): Promise<number> {
    const err = this.context.stderr;
    // Validated here rather than with typanion: importing typanion as ESM costs ~200 ms of start-up.
    const jobs = this.jobs === undefined ? availableParallelism() : /^[0-9]+$/.test(this.jobs) ? Number(this.jobs) : NaN;
    if (!Number.isInteger(jobs) || jobs < 1) {
      err.write(`flow: -j needs a whole number of at least 1, got ${this.jobs}\n`);
      return EXIT.usage;
    }
    const remote = this.remoteSetup();
    if (!remote.ok) {
      err.write(`flow: ${remote.message}\n`);
      return EXIT.usage;
    }
    if (this.warming && remote.settings === undefined) {
      if (remote.warning) err.write(`flow: ${remote.warning.message}\n`);
      err.write("flow: cache warm needs a remote cache: set FLOW_REMOTE_URL (or --remote-url) and FLOW_REMOTE_TOKEN\n");
      return EXIT.usage;
    }
    const progress = this.json ? err : this.context.stdout;
    const renderer = new TextRenderer(progress, process.cwd(), this.verbose);
    // Included files that a rule makes are built first, then the Flowfile is read again (see load-project.ts).
    const includeTasks: IncludeTaskResult[] = [];
    const includes = includeBuilder({
      cwd: process.cwd(),
      cacheDir: this.cacheDir,
      env: process.env,
      jobs,
      renderer,
      out: progress,
      err,
      noWait: this.noWait,
      onTask: (t) => includeTasks.push(t),
    });
    const project = await loadProjectBuildingIncludes(
      {
        cwd: process.cwd(),
        ...(this.dir !== undefined ? { dir: this.dir } : {}),
        ...(this.file !== undefined ? { file: this.file } : {}),
        words: this.words,
        env: process.env,
        noBuiltinRules: this.noBuiltinRules,
        noBuiltinVariables: this.noBuiltinVariables,
      },
      includes,
    );
    if (!project.ok) {
      if (project.error.diagnostic) err.write(`${formatDiagnostic(project.error.diagnostic)}\n`);
      return project.error.exitCode ?? EXIT.usage;
    }
    const { root, graph } = project.value;
    const selection = selectTasks(graph, { targetsGiven: project.value.targets.length > 0, tags: this.tags });
    if (selection.unknownTags.length > 0) {
      err.write(`${unknownTagMessage(graph, selection.unknownTags)}; nothing built\n`);
      return EXIT.usage;
    }
    const session = await openBuildSession({
      root,
      cacheDir: this.cacheDirFor(root),
      env: process.env,
      renderer,
      err,
      noWait: this.noWait,
      stat: (p) => project.value.host.takeStat(p),
      logNotes: true,
      // Warm uploads after the build, itself, so that nothing is uploaded twice and its counts are exact.
      ...(remote.settings ? { remote: this.warming ? { ...remote.settings, config: { ...remote.settings.config, readOnly: true } } : remote.settings } : {}),
    });
    if (session === undefined) return EXIT.taskFailed;
    if (remote.warning) renderer.warning(remote.warning);
    for (const w of project.value.warnings) renderer.warning(w);
    // --explain: the reason each run's decision carries, printed as it starts (see plan-render-why.ts).
    const why = this.explain ? new WhyLines(progress) : undefined;
    const emit = (e: BuildEvent) => {
      why?.observe(e);
      renderer.handle(e);
    };
    let outcome;
    let remoteReport: RemoteReport | undefined;
    let warm: WarmReport | undefined;
    try {
      outcome = await session.build({ graph, roots: selection.roots, emit, concurrency: jobs, keepGoing: this.keepGoing, force: this.force });
      if (this.warming && remote.settings !== undefined && !session.interrupted) {
        warm = await warmRemote({ cache: session.cache, hasher: session.hasher, cacheDir: this.cacheDirFor(root), settings: remote.settings, onWarning: (w) => renderer.warning(w) }, graph, outcome);
      }
      if (!session.interrupted) await afterBuild(session.cache, graph, outcome, progress, process.env);
    } finally {
      remoteReport = await session.close();
    }
    if (remoteReport !== undefined && !this.json && !this.warming) progress.write(remoteSummary(remoteReport));
    if (warm !== undefined && !this.json) progress.write(warmSummary(warm));
    const interrupted = session.interrupted;
    const whyTexts = why?.texts;
    if (this.json) {
      const tasks = outcome.order.map((id) => jsonTask(graph.tasks[id] as Task, outcome.results.get(id) as TaskResult, whyTexts?.get(id)));
      // `includes`: the tasks that made generated includes, per round (only when the Flowfile has some).
      const doc = { ok: outcome.ok && !interrupted, tasks, ...(includeTasks.length > 0 ? { includes: includeTasks } : {}), ...(remoteReport ? { remote: remoteReport } : {}), ...(warm ? { warm } : {}) };
      this.context.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    }
    if (interrupted) return EXIT.interrupted;
    return outcome.ok ? EXIT.ok : EXIT.taskFailed;
  }
}

function jsonTask(task: Task, r: TaskResult, why: string | undefined): Record<string, unknown> {
  return {
    name: task.name,
    status: r.status,
    durationMs: r.durationMs,
    key: r.key ?? null,
    ...(r.reason ? { reason: r.reason } : {}),
    ...(r.message ? { message: r.message } : {}),
    ...(r.logPath ? { logPath: r.logPath } : {}),
    ...(r.exitCode !== undefined ? { exitCode: r.exitCode } : {}),
    ...(why !== undefined ? { why } : {}),
  };
}
