import { Command, Option } from "./clipanion.js";
import { EXIT } from "../exit-codes.js";
import { historyRoot } from "../history/history-root.js";
import { findTaskLog } from "../history/task-log.js";
import { resolveCacheDir } from "../run/cache-dir.js";

export class LogCommand extends Command {
  static override paths = [["log"]];

  static override usage = Command.Usage({
    category: "History",
    description: "print a task's last log",
    details: `
      Prints what TASK's recipe printed (stdout and stderr, in order) the last time it printed anything: from
      .flow/logs, else from the newest run directory that kept its log (.flow/runs/<N>/logs), else the log
      stored in the cache with its last successful result. Where the log came from goes to stderr, the log
      itself to stdout. TASK is the task's name as the Flowfile has it (flow runs show lists them). A recipe
      that printed nothing leaves no log: then there is none to show.
    `,
    examples: [
      ["Print the last log of the task that makes build/app", "$0 log build/app"],
      ["Page through a test task's output", "$0 log test | less"],
    ],
  });

  dir = Option.String("-C,--directory", { description: "Run as if started in DIR" });
  file = Option.String("-f,--file", { description: "The Flowfile whose directory holds the logs (default: ./Flowfile)" });
  cacheDir = Option.String("--cache-dir", { description: "Cache directory (default: $FLOW_CACHE_DIR or .flow/ at the project root)" });
  task = Option.String({ name: "TASK" });

  override async execute(): Promise<number> {
    const err = this.context.stderr;
    const root = historyRoot(this.dir, this.file, err);
    if (root === undefined) return EXIT.usage;
    const cacheDir = resolveCacheDir(process.cwd(), this.cacheDir, process.env, root);
    const log = await findTaskLog(root, this.task, cacheDir, (w) => err.write(`flow: warning ${w.code}: ${w.message}\n`));
    if (!log.found) {
      err.write(`${log.message}\n`);
      return EXIT.taskFailed;
    }
    err.write(`flow: log of ${this.task} ${log.from}\n`);
    this.context.stdout.write(log.bytes);
    return EXIT.ok;
  }
}
