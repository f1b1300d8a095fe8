import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import { Command, Option } from "clipanion";
import * as t from "typanion";
import { createHasher, LocalCache } from "@flow/cache";
import { formatDiagnostic, runBuild, type BuildEvent, type Task, type TaskResult } from "@flow/graph";
import { loadProject } from "./load-project.js";
import { LocalBuildHost } from "./local-build-host.js";
import { recipeBaseEnv } from "./recipe-env.js";
import { TextRenderer } from "./render.js";
import { ShellRunner } from "./shell-runner.js";
import { EXIT } from "./exit-codes.js";
import { onInterrupt } from "./interrupt.js";

export class BuildCommand extends Command {
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
    ],
  });

  dir = Option.String("-C,--directory", { description: "Run as if started in DIR" });
  file = Option.String("-f,--file", { description: "Read FILE instead of ./Flowfile" });
  jobs = Option.String("-j,--jobs", { description: "Run at most N tasks at once (default: number of cores)", validator: t.isNumber() });
  keepGoing = Option.Boolean("-k,--keep-going", false, { description: "Go on with everything that does not depend on a failure" });
  force = Option.Boolean("--force", false, { description: "Rerun the selected tasks even when cached" });
  cacheDir = Option.String("--cache-dir", { description: "Cache directory (default: $FLOW_CACHE_DIR or .flow/ at the project root)" });
  json = Option.Boolean("--json", false, { description: "Print the summary as one JSON document on stdout" });
  verbose = Option.Boolean("-v,--verbose", false, { description: "Also list tasks that were up to date" });
  words = Option.Rest({ name: "targets and VAR=value" });

  override async execute(): Promise<number> {
    const err = this.context.stderr;
    const jobs = this.jobs ?? availableParallelism();
    if (!Number.isInteger(jobs) || jobs < 1) {
      err.write(`flow: -j needs a whole number of at least 1, got ${this.jobs}\n`);
      return EXIT.usage;
    }
    const project = loadProject({
      cwd: process.cwd(),
      ...(this.dir !== undefined ? { dir: this.dir } : {}),
      ...(this.file !== undefined ? { file: this.file } : {}),
      words: this.words,
      env: process.env,
    });
    if (!project.ok) {
      err.write(`${formatDiagnostic(project.error)}\n`);
      return EXIT.usage;
    }
    const { root, graph } = project.value;
    const progress = this.json ? err : this.context.stdout;
    const renderer = new TextRenderer(progress, process.cwd(), this.verbose);
    for (const w of project.value.warnings) renderer.warning(w);

    const cacheDir = resolve(process.cwd(), this.cacheDir ?? (process.env["FLOW_CACHE_DIR"] || join(root, ".flow")));
    const hasher = await createHasher();
    const cache = await LocalCache.open(cacheDir, { hasher, onWarning: (w) => renderer.warning(w) });
    const abort = new AbortController();
    const force = new AbortController();
    let interrupted = false;
    const stopListening = onInterrupt((again) => {
      interrupted = true;
      renderer.handle({ type: "interrupt", force: again });
      if (again) force.abort();
      else abort.abort();
    });
    const runner = new ShellRunner({ graceMs: 5000, forceSignal: force.signal });
    const host = new LocalBuildHost(root, cache, hasher, join(root, ".flow", "logs"));
    const emit = (e: BuildEvent) => renderer.handle(e);
    let outcome;
    try {
      outcome = await runBuild({
        graph,
        roots: graph.goals,
        root,
        host,
        runner,
        emit,
        concurrency: jobs,
        keepGoing: this.keepGoing,
        force: this.force,
        signal: abort.signal,
        baseEnv: recipeBaseEnv(process.env),
        env: process.env,
      });
    } finally {
      stopListening();
      await cache.close();
    }
    if (this.json) {
      const tasks = outcome.order.map((id) => jsonTask(graph.tasks[id] as Task, outcome.results.get(id) as TaskResult));
      this.context.stdout.write(`${JSON.stringify({ ok: outcome.ok && !interrupted, tasks }, null, 2)}\n`);
    }
    if (interrupted) return EXIT.interrupted;
    return outcome.ok ? EXIT.ok : EXIT.taskFailed;
  }
}

function jsonTask(task: Task, r: TaskResult): Record<string, unknown> {
  return {
    name: task.name,
    status: r.status,
    durationMs: r.durationMs,
    key: r.key ?? null,
    ...(r.reason ? { reason: r.reason } : {}),
    ...(r.message ? { message: r.message } : {}),
    ...(r.logPath ? { logPath: r.logPath } : {}),
    ...(r.exitCode !== undefined ? { exitCode: r.exitCode } : {}),
  };
}
