import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { formatDiagnostic, type BuildEvent, type Diagnostic, type TaskResult, type TaskStatus } from "@flow/graph";
import { PLAIN, type Paint } from "./color.js";

export interface Output {
  write(text: string): void;
}

const LOG_LINES_SHOWN = 200;

/**
 * Renders the core's events as plain lines: one per task that did work or
 * failed, the log of each failed task, warnings, and a summary. Suitable for
 * terminals and CI logs alike (a live display is a separate renderer).
 */
export class TextRenderer {
  private readonly counts = new Map<TaskStatus, number>();
  /** The tasks of sub-builds (`$(MAKE)` in a recipe), counted apart from this build's own. */
  private readonly subCounts = new Map<string, number>();
  private readonly subByTask = new Map<string, readonly { name: string; status: string; durationMs: number }[]>();
  /** Notes about logs, by path, shown with them (ShellRunner adds one when a log's disk was full). */
  readonly logNotes = new Map<string, string>();

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
      case "task-start":
        return;
      case "task-end":
        this.taskEnd(e.task.name, e.result);
        if (e.task.phony && e.result.logPath !== undefined && (e.result.status === "ran" || e.result.status === "up-to-date" || e.result.status === "restored")) this.phonyOutput(e.result.logPath);
        return;
      case "warning":
        this.warning(e.warning);
        return;
      case "interrupt":
        this.out.write(e.force ? "flow: interrupted again; killing every task now\n" : "flow: interrupted; stopping running tasks (Ctrl-C again to kill them)\n");
        return;
      case "build-end":
        this.summary(e.ok, e.durationMs);
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

  private taskEnd(name: string, r: TaskResult): void {
    this.counts.set(r.status, (this.counts.get(r.status) ?? 0) + 1);
    this.line(name, r);
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

  private line(name: string, r: TaskResult): void {
    const dur = `${(r.durationMs / 1000).toFixed(2)}s`;
    switch (r.status) {
      case "ran":
        if (!this.silent) this.out.write(`  ${this.paint.ran("ran")}       ${name} (${dur})\n`);
        return;
      case "restored":
        if (!this.silent) this.out.write(`  ${this.paint.restored("restored")}  ${name}\n`);
        return;
      case "up-to-date":
        if (this.verbose) this.out.write(`  ${this.paint.fresh("fresh")}     ${name}\n`);
        return;
      case "failed":
        this.out.write(`  ${this.paint.failed("FAILED")}    ${name}: ${r.message ?? r.reason ?? "failed"}\n`);
        if (r.logPath) this.showLog(name, r.logPath);
        return;
      case "cannot-run":
        if (this.verbose) this.out.write(`  ${this.paint.cannotRun("cannot-run")} ${name}: ${r.message ?? ""}\n`);
        return;
      case "skipped":
        if (this.verbose) this.out.write(`  ${this.paint.skipped("skipped")}   ${name}\n`);
        return;
    }
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
    const shown = lines.slice(-LOG_LINES_SHOWN);
    this.out.write(`  --- log of ${name} (${relative(this.cwd, logPath)})${lines.length > shown.length ? `, last ${shown.length} of ${lines.length} lines` : ""} ---\n`);
    for (const l of shown) this.out.write(`  | ${l}\n`);
    if (note !== undefined) this.out.write(`  (${note})\n`);
    this.out.write(`  ---\n`);
  }

  private summary(ok: boolean, durationMs: number): void {
    if (this.silent && ok) return;
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
    this.out.write(`flow: ${ok ? this.paint.ok("done") : this.paint.failed("build failed")}: ${parts.join(", ") || "nothing to do"}${sub} (${(durationMs / 1000).toFixed(2)}s)\n`);
  }
}
