import { Command, Option } from "./clipanion.js";
import { EXIT } from "../exit-codes.js";
import { runsDir } from "../run/durations.js";
import { historyRoot, runRange } from "../history/history-root.js";
import { keptRuns } from "../history/run-files.js";
import { readEnvironment, readSummary, readTasks, taskRows } from "../history/run-read.js";
import { runHeader, taskTable } from "../history/run-text.js";

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
    `,
    examples: [
      ["Show the newest build", "$0 runs show"],
      ["Show build 12 as JSON", "$0 runs show 12 --json"],
    ],
  });

  dir = Option.String("-C,--directory", { description: "Run as if started in DIR" });
  file = Option.String("-f,--file", { description: "The Flowfile whose directory holds the history (default: ./Flowfile)" });
  json = Option.Boolean("--json", false, { description: "Print the run as one JSON document" });
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
    const rows = taskRows(tasks);
    if (this.json) {
      const env = readEnvironment(root, n) ?? null;
      this.context.stdout.write(`${JSON.stringify({ ...summary, dir: `${runsDir(root)}/${n}`, environment: env, tasks: rows }, null, 2)}\n`);
      return EXIT.ok;
    }
    this.context.stdout.write(`${runHeader(summary)}\n\n${taskTable(rows)}`);
    return EXIT.ok;
  }
}
