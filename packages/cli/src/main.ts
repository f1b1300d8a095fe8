import { Builtins, Cli } from "./commands/clipanion.js";
import { BuildCommand } from "./commands/build-command.js";
import { CacheGcCommand, CacheStatsCommand, CacheVerifyCommand } from "./commands/cache-command.js";
import { CleanCommand } from "./commands/clean-command.js";
import { CacheWarmCommand } from "./commands/cache-warm-command.js";
import { EXIT } from "./exit-codes.js";
import { listenForInterrupts } from "./run/interrupt.js";
import { makeStyleArgs } from "./commands/make-style-args.js";
import { ExplainCommand } from "./commands/explain-command.js";
import { StatusCommand } from "./commands/status-command.js";

/** Entry point of the `flow` binary; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  for (const s of [process.stdout, process.stderr]) stopWritingOnError(s);
  listenForInterrupts();
  // lmdb-js's unreachable commit promises (a full disk, a damaged page) are
  // routed to the open cache by @flow/cache's commit guard (lmdb-commit-guard.ts).
  const cli = new Cli({ binaryLabel: "flow", binaryName: "flow", binaryVersion: "0.1.0" });
  cli.register(BuildCommand);
  cli.register(CleanCommand);
  cli.register(CacheStatsCommand);
  cli.register(CacheGcCommand);
  cli.register(CacheVerifyCommand);
  cli.register(CacheWarmCommand);
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

/**
 * A stream flow cannot write to any more (a reader that went away: EPIPE;
 * `> /dev/full`: ENOSPC; EIO...) is given up on silently: flow stops writing
 * to it and goes on as it would, so the build finishes (or is cleaned up),
 * the lock is released, and the exit code is the build's own (0, 1, 130),
 * not a crash. A file or terminal throws from write() itself, a pipe emits
 * "error" later: both are covered. The write is replaced on the stream
 * itself so that every writer (clipanion, the renderers, lmdb's
 * console.error) goes through it.
 */
function stopWritingOnError(stream: NodeJS.WriteStream): void {
  let broken = false;
  stream.on("error", () => {
    broken = true;
  });
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  stream.write = ((...args: unknown[]): boolean => {
    if (broken) return true;
    try {
      return write(...args);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === undefined) throw err;
      broken = true;
      return true;
    }
  }) as typeof stream.write;
}
