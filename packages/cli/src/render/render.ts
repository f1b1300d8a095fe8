import { readFileSync } from "node:fs";
import { relative, resolve } from "node:path";
import { formatDiagnostic, type BuildEvent, type Diagnostic, type Task, type TaskResult, type TaskStatus } from "@flow/graph";
import { DEFAULT_OUTPUT_LOGS, type OutputLogs } from "./output-logs.js";
import { PLAIN, type Paint } from "./color.js";

export interface Output {
  write(text: string): void;
}

/** A failed task's log: its last lines, where the error is. */
const LOG_LINES_SHOWN = 200;
/**
 * A task that succeeded and printed (`--output-logs new`): its last lines.
 * Enough for a handful of compiler warnings; a task that prints pages (a
 * verbose test runner) costs this many lines, not its pages.
 */
const OUTPUT_LINES_SHOWN = 30;
/** Names listed in the end-of-build lines before "and N more". */
const NAMES_SHOWN = 10;

/**
 * Renders the core's events as plain lines: one per task that did work or
 * failed, what tasks printed (as `outputLogs` says: docs/output-logs.md),
 * warnings, and the end of the build: what could not run, what early cutoff
 * spared, a summary. Suitable for terminals and CI logs alike (a live
 * display is a separate renderer).
 */
export class TextRenderer {
  private readonly counts = new Map<TaskStatus, number>();
  /** The tasks of sub-builds (`$(MAKE)` in a recipe), counted apart from this build's own. */
  private readonly subCounts = new Map<string, number>();
  private readonly subByTask = new Map<string, readonly { name: string; status: string; durationMs: number }[]>();
  /** Notes about logs, by path, shown with them (ShellRunner adds one when a log's disk was full). */
  readonly logNotes = new Map<string, string>();
  /** How much of tasks' output is shown; set before the build starts. */
  outputLogs: OutputLogs = DEFAULT_OUTPUT_LOGS;
  /** The project's directory, which rules' locations are relative to (shown relative to the cwd); set once known. */
  root: string | undefined;
  /** Ctrl-C arrived: the build ends "interrupted", not "failed". */
  private interrupted = false;
  /** Tasks that ran in this build, by id (only those with outputs: a dependency's bytes are what early cutoff is about). */
  private readonly ranWithOutputs = new Map<number, string>();
  /** Early cutoff: by the dependency that ran, the names of the tasks up to date or restored after it. */
  private readonly spared = new Map<number, string[]>();
  /** Tasks whose dependency failed, and tasks not started after a failure or stopped by Ctrl-C. */
  private readonly cannotRun: string[] = [];
  private readonly notStarted: string[] = [];
  private readonly stopped: string[] = [];

  constructor(
    private readonly out: Output,
    private readonly cwd: string,
    private readonly verbose: boolean,
    /** make's -s: no line per task that ran or was restored, no summary of a build that succeeded. */
    private readonly silent = false,
    /** How the status words are coloured (color.ts): as they are unless colour is on. */
    private readonly paint: Paint = PLAIN,
  ) {}

  handle(e: BuildEvent): void {
    switch (e.type) {
      case "build-start":
        return;
      case "task-start":
        // -v: each recipe before it runs, as make echoes its commands.
        if (this.verbose && !this.silent) this.echo(e.task.recipe);
        return;
      case "task-end":
        this.taskEnd(e.task, e.result);
        return;
      case "warning":
        this.warning(e.warning);
        return;
      case "interrupt":
        this.interrupted = true;
        this.out.write(e.force ? "flow: interrupted again; killing every task now\n" : "flow: interrupted; stopping running tasks (Ctrl-C again to kill them)\n");
        return;
      case "build-end":
        this.end(e.ok, e.durationMs);
        return;
    }
  }

  /**
   * What the sub-builds a task's recipe ran reported (flow run by `$(MAKE)`):
   * shown under the task's line when it ends, counted in the summary apart.
   */
  subBuild(task: string, tasks: readonly { name: string; status: string; durationMs: number }[]): void {
    this.subByTask.set(task, tasks);
    for (const t of tasks) this.subCounts.set(t.status, (this.subCounts.get(t.status) ?? 0) + 1);
  }

  /** A line of its own that is neither an event nor a warning (the wait for remote uploads). */
  note(line: string): void {
    this.out.write(`${line}\n`);
  }

  warning(w: Diagnostic | { code: string; message: string }): void {
    if ("severity" in w) this.out.write(`${formatDiagnostic(w)}\n`);
    else this.out.write(`flow: warning ${w.code}: ${w.message}\n`);
  }

  private taskEnd(task: Task, r: TaskResult): void {
    const name = task.name;
    this.counts.set(r.status, (this.counts.get(r.status) ?? 0) + 1);
    const lined = this.line(task, r);
    // A fresh task of a no-op build passes these two tests and nothing more.
    if (r.logPath !== undefined) this.output(task, r, lined);
    if (this.ranWithOutputs.size > 0 || r.status !== "up-to-date") this.remember(task, r);
    const sub = this.subByTask.get(name);
    if (sub === undefined) return;
    this.subByTask.delete(name);
    for (const t of sub) {
      if (t.status === "ran") this.out.write(`  ${this.paint.ran("ran")}       ${t.name} (${(t.durationMs / 1000).toFixed(2)}s, sub-build of ${name})\n`);
      else if (t.status === "restored") this.out.write(`  ${this.paint.restored("restored")}  ${t.name} (sub-build of ${name})\n`);
      else if (t.status === "failed") this.out.write(`  ${this.paint.failed("FAILED")}    ${t.name} (sub-build of ${name})\n`);
      else if (this.verbose && t.status === "up-to-date") this.out.write(`  ${this.paint.fresh("fresh")}     ${t.name} (sub-build of ${name})\n`);
    }
  }

  /** The task's own line; whether one was written (it heads the task's output). */
  private line(task: Task, r: TaskResult): boolean {
    const name = task.name;
    const dur = `${(r.durationMs / 1000).toFixed(2)}s`;
    switch (r.status) {
      case "ran":
        if (!this.silent) this.out.write(`  ${this.paint.ran("ran")}       ${name} (${dur})\n`);
        return !this.silent;
      case "restored":
        if (!this.silent) this.out.write(`  ${this.paint.restored("restored")}  ${name}\n`);
        return !this.silent;
      case "up-to-date":
        if (this.verbose) this.out.write(`  ${this.paint.fresh("fresh")}     ${name}\n`);
        return this.verbose;
      case "failed":
        this.out.write(`  ${this.paint.failed("FAILED")}    ${name}: ${r.message ?? r.reason ?? "failed"}${this.ruleAt(task)}\n`);
        return true;
      case "cannot-run":
        if (this.verbose) this.out.write(`  ${this.paint.cannotRun("cannot-run")} ${name}: ${r.message ?? ""}\n`);
        return this.verbose;
      case "skipped":
        if (this.verbose) this.out.write(`  ${this.paint.skipped("skipped")}   ${name}\n`);
        return this.verbose;
    }
  }

  /** Where the task's rule is, as the diagnostics say it (`Flowfile:12:1`), relative to the cwd. */
  private ruleAt(task: Task): string {
    const { file, line, col } = task.loc;
    // "(built-in)" and "(eval)" name no file.
    if (file.startsWith("(")) return ` (${file.slice(1, -1)} rule)`;
    const shown = this.root === undefined ? file : relative(this.cwd, resolve(this.root, file)) || file;
    return ` (rule at ${shown}:${line}:${col})`;
  }

  /** What the task printed, as `outputLogs` asks (docs/output-logs.md); the task has a log. */
  private output(task: Task, r: TaskResult, lined: boolean): void {
    const mode = this.outputLogs;
    if (mode === "none") return;
    const logPath = r.logPath as string;
    if (r.status === "failed") {
      this.showLog(task.name, logPath);
      return;
    }
    // A phony task is an action (`help`, `test`, `run`), run for its output: shown as it printed
    // it, whole, in every mode but none. A `.CACHED` one's stored log comes back on a hit (execute-task.ts).
    if (task.phony) {
      if (r.status === "ran" || r.status === "up-to-date" || r.status === "restored") this.phonyOutput(logPath);
      return;
    }
    // A hit has a log only when the build replayed it (--output-logs full).
    if (mode === "errors" || (mode === "new" && r.status !== "ran")) return;
    if (r.status === "ran" || r.status === "restored" || r.status === "up-to-date") this.taskOutput(task.name, r.status, logPath, lined);
  }

  /** -v: the recipe's lines, as they are run (make's echo; `flow build -n` prints the same). */
  private echo(recipe: string): void {
    if (recipe === "") return;
    this.out.write(recipe.endsWith("\n") ? recipe : `${recipe}\n`);
  }

  /**
   * Early cutoff and the end's lists, from the events alone: a task up to
   * date or restored although a dependency ran in this build was spared by
   * its dependency's same bytes.
   */
  private remember(task: Task, r: TaskResult): void {
    switch (r.status) {
      case "ran":
        if (task.outputs.length > 0) this.ranWithOutputs.set(task.id, task.name);
        return;
      case "up-to-date":
      case "restored": {
        // A task without a recipe (`all`) has nothing to spare; an assumed one was not decided by its inputs.
        if (task.recipe === "" || r.reason === "assumed") return;
        const dep = task.deps.find((d) => this.ranWithOutputs.has(d));
        if (dep === undefined) return;
        const names = this.spared.get(dep);
        if (names === undefined) this.spared.set(dep, [task.name]);
        else names.push(task.name);
        return;
      }
      case "cannot-run":
        this.cannotRun.push(task.name);
        return;
      case "skipped":
        if (r.reason !== "interrupted") this.notStarted.push(task.name);
        // A task Ctrl-C stopped while its recipe ran has a log; one never started has none.
        else if (r.logPath !== undefined) this.stopped.push(task.name);
        return;
      case "failed":
        return;
    }
  }

  /**
   * What the core replayed or what a task printed: the task's own line heads
   * it, or a line naming it when none was written (-s, a fresh task). Written
   * whole when the task ends (its stdout and stderr are one file, in order),
   * so tasks running at once never mix within a line.
   */
  private taskOutput(name: string, status: TaskStatus, logPath: string, lined: boolean): void {
    let text: string;
    try {
      text = readFileSync(logPath, "utf8");
    } catch {
      return; // the log is gone: nothing to show
    }
    const lines = text.split("\n");
    if (lines.at(-1) === "") lines.pop();
    if (lines.length === 0) return;
    const shown = lines.slice(-OUTPUT_LINES_SHOWN);
    let block = lined ? "" : `  output of ${name}${status === "ran" ? "" : ` (${status === "restored" ? "restored" : "up to date"}, from the cache)`}:\n`;
    if (shown.length < lines.length) block += `  ... ${lines.length - shown.length} earlier lines left out (the whole log: ${relative(this.cwd, logPath)})\n`;
    for (const l of shown) block += `  | ${l}\n`;
    this.out.write(block);
  }

  /**
   * What a phony task printed, as it printed it: a phony task is an action
   * (`help`, `test`, `deploy`), run for its output as much as its effects.
   * A `.CACHED` one's stored log comes back on a hit (execute-task.ts).
   */
  private phonyOutput(logPath: string): void {
    let text: string;
    try {
      text = readFileSync(logPath, "utf8");
    } catch {
      return; // the log is gone: nothing to show
    }
    if (text === "") return;
    this.out.write(text.endsWith("\n") ? text : `${text}\n`);
  }

  private showLog(name: string, logPath: string): void {
    const note = this.logNotes.get(logPath);
    let text: string;
    try {
      text = readFileSync(logPath, "utf8");
    } catch {
      // The log is gone; the failure line above already says what happened.
      if (note !== undefined) this.out.write(`  (log ${relative(this.cwd, logPath)}: ${note})\n`);
      return;
    }
    const lines = text.split("\n");
    if (lines.at(-1) === "") lines.pop();
    if (lines.length === 0 && note === undefined) {
      // An empty frame reads like a lost log: say it plainly.
      this.out.write(`  (${name} printed nothing before it failed)\n`);
      return;
    }
    const shown = lines.slice(-LOG_LINES_SHOWN);
    this.out.write(`  --- log of ${name} (${relative(this.cwd, logPath)})${lines.length > shown.length ? `, last ${shown.length} of ${lines.length} lines` : ""} ---\n`);
    for (const l of shown) this.out.write(`  | ${l}\n`);
    if (note !== undefined) this.out.write(`  (${note})\n`);
    this.out.write(`  ---\n`);
  }

  /** The end of the build: what could not run, what early cutoff spared, then the summary. */
  private end(ok: boolean, durationMs: number): void {
    if (this.stopped.length > 0) this.out.write(`flow: stopped while running: ${listed(this.stopped)}\n`);
    if (this.cannotRun.length > 0) this.out.write(`flow: could not run, a dependency failed: ${listed(this.cannotRun)}\n`);
    if (this.notStarted.length > 0) this.out.write(`flow: not started after the failure (-k goes on with them): ${listed(this.notStarted)}\n`);
    if (!this.silent) this.cutoff();
    this.summary(ok, durationMs);
  }

  /** One line per dependency whose run spared its dependents (the most sparing first, at most NAMES_SHOWN lines). */
  private cutoff(): void {
    const byDep = [...this.spared].sort((a, b) => b[1].length - a[1].length);
    for (const [dep, names] of byDep.slice(0, NAMES_SHOWN)) {
      const n = names.length;
      this.out.write(`flow: early cutoff: ${this.ranWithOutputs.get(dep)} ran and made the same bytes as an earlier build, so ${n} task${n === 1 ? "" : "s"} after it did not run: ${listed(names)}\n`);
    }
    if (byDep.length > NAMES_SHOWN) {
      const rest = byDep.slice(NAMES_SHOWN).reduce((sum, [, names]) => sum + names.length, 0);
      this.out.write(`flow: early cutoff: and ${byDep.length - NAMES_SHOWN} more tasks that ran spared ${rest} more\n`);
    }
  }

  private summary(ok: boolean, durationMs: number): void {
    if (this.silent && ok && !this.interrupted) return;
    const order: [TaskStatus, string][] = [
      ["ran", "ran"],
      ["restored", "restored"],
      ["up-to-date", "up to date"],
      ["failed", "failed"],
      ["cannot-run", "cannot run"],
      ["skipped", "skipped"],
    ];
    const parts = order.filter(([s]) => (this.counts.get(s) ?? 0) > 0).map(([s, label]) => `${this.counts.get(s)} ${label}`);
    const subParts = order.filter(([s]) => (this.subCounts.get(s) ?? 0) > 0).map(([s, label]) => `${this.subCounts.get(s)} ${label}`);
    const sub = subParts.length > 0 ? `; sub-builds: ${subParts.join(", ")}` : "";
    const verdict = this.interrupted ? this.paint.failed("interrupted") : ok ? this.paint.ok("done") : this.paint.failed("build failed");
    this.out.write(`flow: ${verdict}: ${parts.join(", ") || "nothing to do"}${sub} (${(durationMs / 1000).toFixed(2)}s)\n`);
  }
}

/** Names, the first NAMES_SHOWN of them, then how many more. */
function listed(names: readonly string[]): string {
  const shown = names.slice(0, NAMES_SHOWN).join(", ");
  return names.length > NAMES_SHOWN ? `${shown} and ${names.length - NAMES_SHOWN} more` : shown;
}
