import { lstatSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { Command, Option } from "./clipanion.js";
import { EXIT } from "../exit-codes.js";
import { runsDir } from "../run/durations.js";
import { historyRoot, runRange } from "../history/history-root.js";
import { keptRuns } from "../history/run-files.js";
import { readEnvironment, readSummary, readTasks, taskRows } from "../history/run-read.js";
import { runHeader, taskTable } from "../history/run-text.js";
import { readTimeline } from "../history/run-timeline.js";
import { timelineSvg } from "../render/timeline-svg.js";

export class RunsShowCommand extends Command {
  static override paths = [["runs", "show"]];

  static override usage = Command.Usage({
    category: "History",
    description: "show one recorded build: each task's status, duration and cache hit or miss",
    details: `
      Prints run N's summary (command, directory, start, duration, outcome, counts), then one line per task:
      its status (ran, restored, up-to-date, failed, cannot-run, skipped; a failure's exit code), how long it
      took, whether the cache had it (hit: restored or up to date; miss: its recipe ran), and its name.
      Without N, the newest run. With --json, also the environment file (flow, Node and OS versions, the
      Flowfile's variables, the command line's overrides, the tasks' .ENV values; secrets masked) and each
      task's key and kept log. The run directory is .flow/runs/<N>/ (docs/history.md).

      With --timeline FILE, writes the run's timeline instead: an SVG Gantt chart with one row per job slot
      and one bar per task that did work (ran, restored, failed), coloured by status (FILE '-': stdout).
    `,
    examples: [
      ["Show the newest build", "$0 runs show"],
      ["Show build 12 as JSON", "$0 runs show 12 --json"],
      ["Draw the newest build's timeline", "$0 runs show --timeline timeline.svg"],
    ],
  });

  dir = Option.String("-C,--directory", { description: "Run as if started in DIR" });
  file = Option.String("-f,--file", { description: "The Flowfile whose directory holds the history (default: ./Flowfile)" });
  json = Option.Boolean("--json", false, { description: "Print the run as one JSON document" });
  timeline = Option.String("--timeline", { description: "Write the run's timeline to FILE as SVG (one row per job slot; '-': stdout)" });
  run = Option.String({ name: "N", required: false });

  override async execute(): Promise<number> {
    const err = this.context.stderr;
    const root = historyRoot(this.dir, this.file, err);
    if (root === undefined) return EXIT.usage;
    const kept = keptRuns(root);
    if (this.run !== undefined && !/^[0-9]{1,10}$/.test(this.run)) {
      err.write(`flow: runs show needs a run's number (flow runs lists them), got '${this.run}'\n`);
      return EXIT.usage;
    }
    const n = this.run === undefined ? kept.at(-1) : Number(this.run);
    if (n === undefined || !kept.includes(n)) {
      err.write(
        kept.length === 0
          ? `flow: error RUN_NOT_FOUND: no builds are recorded in ${runsDir(root)}; each 'flow build' records one\n`
          : `flow: error RUN_NOT_FOUND: no run ${n} in ${runsDir(root)}; the runs kept are ${runRange(kept)} (flow runs lists them)\n`,
      );
      return EXIT.taskFailed;
    }
    const summary = readSummary(root, n);
    const tasks = readTasks(root, n);
    if (summary === undefined || tasks === undefined) {
      err.write(`flow: error RUN_NOT_FOUND: run ${n} in ${runsDir(root)} cannot be read (cut short, or written by another version of flow); the runs kept are ${runRange(kept)}\n`);
      return EXIT.taskFailed;
    }
    if (this.timeline !== undefined) return this.writeTimeline(root, n, this.timeline);
    const rows = taskRows(tasks);
    if (this.json) {
      const env = readEnvironment(root, n) ?? null;
      this.context.stdout.write(`${JSON.stringify({ ...summary, dir: `${runsDir(root)}/${n}`, environment: env, tasks: rows }, null, 2)}\n`);
      return EXIT.ok;
    }
    this.context.stdout.write(`${runHeader(summary)}\n\n${taskTable(rows)}`);
    return EXIT.ok;
  }

  private writeTimeline(root: string, n: number, file: string): number {
    const timeline = readTimeline(root, n);
    if (timeline === undefined) {
      this.context.stderr.write(`flow: error TIMELINE_NOT_RECORDED: run ${n} has no timeline (recorded by a flow that kept none); build again to record one\n`);
      return EXIT.taskFailed;
    }
    const svg = timelineSvg(timeline);
    if (file === "-") {
      this.context.stdout.write(svg);
      return EXIT.ok;
    }
    const failed = replaceFile(resolve(process.cwd(), file), svg);
    if (failed !== undefined) {
      this.context.stderr.write(`flow: could not write the timeline to ${file} (${failed}); give --timeline a path in a writable directory\n`);
      return EXIT.taskFailed;
    }
    return EXIT.ok;
  }
}

/**
 * Writes a new file beside `path` (created exclusively, never through a link) and renames it over
 * `path`, so a link there is replaced rather than followed. Undefined when written, else the error.
 */
function replaceFile(path: string, text: string): string | undefined {
  if (lstatSync(path, { throwIfNoEntry: false })?.isDirectory()) return "it is a directory";
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  let made = false;
  try {
    writeFileSync(tmp, text, { flag: "wx", mode: 0o644 });
    made = true;
    renameSync(tmp, path);
    return undefined;
  } catch (err) {
    // Only what this call made: whatever else is at the temporary name stays.
    if (made) rmSync(tmp, { force: true });
    return err instanceof Error ? err.message : String(err);
  }
}
