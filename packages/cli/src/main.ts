import { absorbCommitError } from "@flow/cache";
import { Builtins, Cli } from "./clipanion.js";
import { BuildCommand } from "./build-command.js";
import { CacheGcCommand, CacheStatsCommand, CacheVerifyCommand } from "./cache-command.js";
import { CleanCommand } from "./clean-command.js";
import { EXIT } from "./exit-codes.js";
import { makeStyleArgs } from "./make-style-args.js";
import { ExplainCommand } from "./explain-command.js";
import { StatusCommand } from "./status-command.js";

/** Entry point of the `flow` binary; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  // A reader that goes away (`flow build | head`) must not stop cleanup.
  for (const s of [process.stdout, process.stderr]) {
    s.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code !== "EPIPE") throw e;
    });
  }
  // lmdb-js starts each batch of writes with a commit promise of its own that
  // nobody can hold; when the commit fails (a full disk) that promise rejects
  // unhandled and would end flow mid-build. The writes in that commit are
  // rejected too, and their owners warn (CACHE_WRITE_FAILED), so this one is
  // dropped. Anything else fails as Node would.
  process.on("unhandledRejection", (reason) => {
    if (absorbCommitError(reason)) return;
    throw reason;
  });
  const cli = new Cli({ binaryLabel: "flow", binaryName: "flow", binaryVersion: "0.1.0" });
  cli.register(BuildCommand);
  cli.register(CleanCommand);
  cli.register(CacheStatsCommand);
  cli.register(CacheGcCommand);
  cli.register(CacheVerifyCommand);
  cli.register(StatusCommand);
  cli.register(ExplainCommand);
  cli.register(Builtins.HelpCommand);
  cli.register(Builtins.VersionCommand);
  let command;
  try {
    command = cli.process(makeStyleArgs(argv), Cli.defaultContext);
  } catch (e) {
    process.stderr.write(cli.error(e));
    return EXIT.usage;
  }
  const code = await cli.run(command, Cli.defaultContext);
  return code;
}

