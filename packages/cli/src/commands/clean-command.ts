import { availableParallelism } from "node:os";
import { readingEnv } from "../run/recursion.js";
import { Command, Option } from "./clipanion.js";
import { ProjectCommand } from "./project-command.js";
import { formatDiagnostic, selectTasks, type Task } from "@flow/graph";
import { unknownTagMessage } from "../render/tag-message.js";
import type { CleanFailure } from "../clean/clean-disk.js";
import type { CleanPlan, Kept, Removal } from "../clean/clean-plan.js";
import { namedPaths, runClean } from "../clean/clean-run.js";
import { EXIT } from "../exit-codes.js";
import { loadProject } from "../project/load-project.js";

export class CleanCommand extends ProjectCommand {
  static override paths = [["clean"]];

  static override usage = Command.Usage({
    description: "remove what flow built, and nothing else",
    details: `
      Removes the recorded outputs of the selected tasks: the targets named, plus every task carrying one of the --tag tags;
      with neither, every task of the Flowfile. Only paths that the task declares as outputs AND that its last run in this
      checkout recorded are removed; never a path outside the project root, never through a symlink (a symlink output is
      removed as a link), a directory only when it is a declared output directory and only once empty, and a file tracked
      by git only when it is itself a declared output. Everything else is kept and listed with the reason (see docs/clean.md).

      With --cache, the cache entries of those runs are deleted too (their blobs are left to \`flow cache gc\`), so the next
      build runs the tasks instead of restoring them.

      A --tag that no task carries removes nothing, says so, and exits 2. Clean takes the workspace lock, as build does.
      Exit codes: 0 done (kept paths are not errors), 1 a removal failed or the lock was busy with --no-wait, 2 usage.
    `,
    examples: [
      ["See what would go", "$0 clean --dry-run"],
      ["Remove the outputs of the tasks tagged check", "$0 clean --tag check"],
      ["Remove a target's outputs and forget its cache entry", "$0 clean --cache build/app"],
    ],
  });

  tags = Option.Array("--tag", [], { description: "Select the tasks tagged T (repeatable: the union)" });
  withCache = Option.Boolean("--cache", false, { description: "Also delete the selected tasks' cache entries" });
  dryRun = Option.Boolean("-n,--dry-run", false, { description: "List exactly what would be removed; remove nothing" });
  noWait = Option.Boolean("--no-wait", false, { description: "Fail at once if another build or clean holds the workspace lock" });
  json = Option.Boolean("--json", false, { description: "Print what was (or would be) removed and kept as JSON on stdout" });
  words = Option.Rest({ name: "targets and VAR=value" });

  override async execute(): Promise<number> {
    const err = this.context.stderr;
    const project = loadProject({
      cwd: process.cwd(),
      ...(this.dir !== undefined ? { dir: this.dir } : {}),
      ...(this.file !== undefined ? { file: this.file } : {}),
      // $(MAKE), $(MAKEFLAGS), $(MAKELEVEL) as the build sets them, so that keys are the build's (recursion.ts).
      ...readingEnv(process.env, this.words, availableParallelism()),
      // clean removes links as links and never goes through one (docs/clean.md): a link in an output's place is its business.
      linkedOutputs: true,
    });
    if (!project.ok) {
      err.write(`${formatDiagnostic(project.error)}\n`);
      return EXIT.usage;
    }
    const { root, graph, targets } = project.value;
    const selection = selectTasks(graph, { targetsGiven: targets.length > 0, tags: this.tags });
    if (selection.unknownTags.length > 0) {
      err.write(`${unknownTagMessage(graph, selection.unknownTags)}; nothing removed\n`);
      return EXIT.usage;
    }
    const selected = targets.length > 0 || this.tags.length > 0 ? selection.roots : graph.tasks.map((t) => t.id);
    const tasks = selected.map((id) => graph.tasks[id] as Task);
    // Directories the Flowfile names (targets, declared outputs) stay even when clean empties them.
    const named = namedPaths(graph.tasks);

    const run = await runClean({ root, cacheDir: this.cacheDirFor(root), tasks, named, withCache: this.withCache, dryRun: this.dryRun, noWait: this.noWait, err });
    if (!run.ok) {
      if (run.message !== undefined) err.write(`${run.message}\n`);
      return EXIT.taskFailed;
    }
    this.report(run.plan, run.removed, run.failed, run.forgotten);
    return run.failed.length > 0 ? EXIT.taskFailed : EXIT.ok;
  }

  private report(plan: CleanPlan, removed: readonly Removal[], failed: readonly CleanFailure[], forgotten: readonly string[]): void {
    const out = this.context.stdout;
    if (this.json) {
      const doc = {
        dryRun: this.dryRun,
        [this.dryRun ? "wouldRemove" : "removed"]: removed,
        kept: plan.kept,
        failed,
        unrecorded: plan.unrecorded,
        cacheEntries: this.dryRun ? plan.cacheEntries : plan.cacheEntries.filter((c) => forgotten.includes(c.task)),
      };
      this.context.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
      return;
    }
    const verb = this.dryRun ? "would remove" : "removed";
    for (const r of removed) out.write(`  ${verb.padEnd(12)} ${shown(r.path)}${r.kind === "dir" ? "/" : r.kind === "symlink" ? " (a symlink, removed as a link)" : ""}\n`);
    for (const k of plan.kept) out.write(`  ${"kept".padEnd(12)} ${shown(k.path)}: ${keptWhy(k)}\n`);
    for (const f of failed) out.write(`  ${"FAILED".padEnd(12)} ${shown(f.path)}: ${f.message}\n`);
    for (const c of plan.cacheEntries) out.write(`  ${(this.dryRun ? "would forget" : "forgot").padEnd(12)} the cache entry of ${c.task}\n`);
    if (plan.unrecorded.length > 0) {
      const names = plan.unrecorded.slice(0, 5).join(", ") + (plan.unrecorded.length > 5 ? `, and ${plan.unrecorded.length - 5} more` : "");
      out.write(`flow: clean: no recorded run in this checkout for ${names}: their outputs are left alone\n`);
    }
    const what = `${removed.length} ${removed.length === 1 ? "path" : "paths"}${plan.cacheEntries.length > 0 ? ` and ${plan.cacheEntries.length} cache ${plan.cacheEntries.length === 1 ? "entry" : "entries"}` : ""}`;
    if (this.dryRun) out.write(`flow: clean --dry-run: would remove ${what}; nothing was removed\n`);
    else if (removed.length === 0 && plan.cacheEntries.length === 0 && failed.length === 0) out.write(`flow: clean: nothing to remove\n`);
    else out.write(`flow: clean: removed ${what}${failed.length > 0 ? `; ${failed.length} could not be removed` : ""}\n`);
  }
}

function keptWhy(k: Kept): string {
  switch (k.reason) {
    case "not-declared":
      return "recorded, but no longer a declared output";
    case "unsafe-path":
      return "not a plain path inside the project";
    case "through-symlink":
      return `a symlink: ${k.count ?? 0} recorded ${k.count === 1 ? "entry" : "entries"} below it left alone (never followed)`;
    case "not-a-declared-dir":
      return "a directory, but not a declared output directory";
    case "kind-changed":
      return "a file where flow recorded a directory";
    case "tracked-by-git":
      return "tracked by git, and not itself a declared output";
    case "not-empty":
      return "holds files flow did not record";
  }
}

/** Paths with spaces, quotes or control characters are shown JSON-quoted, so the listing is unambiguous. */
function shown(path: string): string {
  return /^[A-Za-z0-9._+@%=,:/-]+$/.test(path) ? path : JSON.stringify(path);
}
