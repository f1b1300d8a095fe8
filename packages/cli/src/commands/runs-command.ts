import { Command, Option } from "./clipanion.js";
import { EXIT } from "../exit-codes.js";
import { runsDir } from "../run/durations.js";
import { historyRoot } from "../history/history-root.js";
import { listRuns } from "../history/run-read.js";
import { runsTable } from "../history/run-text.js";

export class RunsCommand extends Command {
  static override paths = [["runs"]];

  static override usage = Command.Usage({
    category: "History",
    description: "list the recent builds of this workspace",
    details: `
      Each \`flow build\` (not -n or -q) leaves a record in .flow/runs/<N>/: its command line, when it started,
      how long it took, its outcome (ok, failed or interrupted) and each task's status; the environment it ran
      in; and the logs its recipes wrote. This lists them, newest first: the run's number, when, how long,
      the outcome, how many tasks ran, were restored from the cache, were up to date, and failed (or could not
      run), and the command.

      At most FLOW_HISTORY_MAX_RUNS runs (default 50) and FLOW_HISTORY_MAX_SIZE of them (default 256M) are
      kept; older ones are removed at the end of each build and by \`flow cache gc\`. See docs/history.md.
    `,
    examples: [
      ["List the recent builds", "$0 runs"],
      ["The same as JSON", "$0 runs --json"],
      ["Show one build's tasks", "$0 runs show 12"],
    ],
  });

  dir = Option.String("-C,--directory", { description: "Run as if started in DIR" });
  file = Option.String("-f,--file", { description: "The Flowfile whose directory holds the history (default: ./Flowfile)" });
  json = Option.Boolean("--json", false, { description: "Print the runs as one JSON document" });

  override async execute(): Promise<number> {
    const root = historyRoot(this.dir, this.file, this.context.stderr);
    if (root === undefined) return EXIT.usage;
    const { runs, unreadable } = listRuns(root);
    if (this.json) {
      this.context.stdout.write(`${JSON.stringify({ dir: runsDir(root), runs, unreadable }, null, 2)}\n`);
      return EXIT.ok;
    }
    if (runs.length === 0) {
      this.context.stdout.write(`flow: no builds recorded yet in ${runsDir(root)}; each 'flow build' records one\n`);
    } else {
      this.context.stdout.write(runsTable(runs));
    }
    if (unreadable.length > 0) this.context.stderr.write(`flow: warning: run ${unreadable.join(", ")} could not be read (cut short, or written by another version of flow)\n`);
    return EXIT.ok;
  }
}
