import { Command, Option } from "./clipanion.js";
import { availableParallelism } from "node:os";
import { readingEnv } from "../run/recursion.js";
import { ProjectCommand } from "./project-command.js";
import { explainTask, formatDiagnostic } from "@flow/graph";
import { openPlanCache } from "../run/cache-location.js";
import { EXIT } from "../exit-codes.js";
import { loadProject } from "../project/load-project.js";
import { explanationText } from "../render/plan-render-explain.js";

export class ExplainCommand extends ProjectCommand {
  static override paths = [["explain"]];

  static override usage = Command.Usage({
    description: "say why a task would run: its ingredients against its last successful run",
    details: `
      Compares the task's current ingredients with those recorded at its last successful run in
      this checkout: which inputs changed (old and new content hash), a line diff of the recipe,
      its .ENV values and exported variables, and its dependencies' outputs. Runs nothing.

      Exit codes: 0 explained, 2 a bad Flowfile, an unknown task or usage.
    `,
    examples: [
      ["Why would the link step run?", "$0 explain build/app"],
      ["In another directory, with a variable override", "$0 explain -C recipes/c-project build/main.o CFLAGS=-O0"],
    ],
  });

  words = Option.Rest({ name: "TASK and VAR=value" });

  override async execute(): Promise<number> {
    const err = this.context.stderr;
    const project = loadProject({
      cwd: process.cwd(),
      ...(this.dir !== undefined ? { dir: this.dir } : {}),
      ...(this.file !== undefined ? { file: this.file } : {}),
      // $(MAKE), $(MAKEFLAGS), $(MAKELEVEL) as the build sets them, so that keys are the build's (recursion.ts).
      ...readingEnv(process.env, this.words, availableParallelism()),
    });
    if (!project.ok) {
      err.write(`${formatDiagnostic(project.error)}\n`);
      return EXIT.usage;
    }
    const { root, graph, targets } = project.value;
    if (targets.length !== 1) {
      err.write(`flow: explain takes one task, got ${targets.length === 0 ? "none" : targets.map((x) => `'${x}'`).join(" ")}; e.g. flow explain build/app\n`);
      return EXIT.usage;
    }
    const id = graph.goals[0];
    if (id === undefined) {
      err.write(`flow: '${targets[0]}' is not a task (no rule makes it)\n`);
      return EXIT.usage;
    }
    for (const w of project.value.warnings) err.write(`${formatDiagnostic(w)}\n`);
    const cache = await openPlanCache({
      cwd: process.cwd(),
      root,
      option: this.cacheDir,
      env: process.env,
      onWarning: (w) => err.write(`flow: warning ${w.code}: ${w.message}\n`),
      stat: (p) => project.value.host.takeStat(p),
    });
    try {
      const x = await explainTask({ graph, id, host: cache.host, env: process.env });
      this.context.stdout.write(explanationText(x));
    } finally {
      await cache.close();
    }
    return EXIT.ok;
  }
}
