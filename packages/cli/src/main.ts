import { Builtins, Cli, type CommandClass } from "./commands/clipanion.js";
import { EXIT } from "./exit-codes.js";
import { listenForInterrupts } from "./run/interrupt.js";
import { makeStyleArgs } from "./commands/make-style-args.js";

/**
 * Each command's module, loaded only when its name is the first word: a
 * build need not load the plan renderers, clean's planner and explain (17
 * modules, part of every no-op's start-up). Any other first word (none,
 * `--help`, a typo) loads them all, so help and "did you mean" see every
 * command.
 */
const COMMANDS: Record<string, (args: readonly string[]) => Promise<CommandClass[]>> = {
  build: async () => [(await import("./commands/build-command.js")).BuildCommand],
  clean: async () => [(await import("./commands/clean-command.js")).CleanCommand],
  status: async () => [(await import("./commands/status-command.js")).StatusCommand],
  explain: async () => [(await import("./commands/explain-command.js")).ExplainCommand],
  cache: async (args) => {
    const m = await import("./commands/cache-command.js");
    const classes: CommandClass[] = [m.CacheStatsCommand, m.CacheGcCommand, m.CacheVerifyCommand];
    // `cache warm` is a build: its module (the build's) only when it may be the one asked for.
    if (!["stats", "gc", "verify"].includes(args[1] ?? "")) classes.push((await import("./commands/cache-warm-command.js")).CacheWarmCommand);
    return classes;
  },
};

/** The command classes `args` may need, in registration order. */
async function commandsFor(args: readonly string[]): Promise<CommandClass[]> {
  const first = args[0];
  const one = first !== undefined && Object.hasOwn(COMMANDS, first) ? COMMANDS[first] : undefined;
  const loaders = one !== undefined ? [one] : Object.values(COMMANDS);
  return (await Promise.all(loaders.map((load) => load(args)))).flat();
}

/** Entry point of the `flow` binary; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  for (const s of [process.stdout, process.stderr]) stopWritingOnError(s);
  listenForInterrupts();
  // lmdb-js's unreachable commit promises (a full disk, a damaged page) are
  // routed to the open cache by @flow/cache's commit guard (lmdb-commit-guard.ts).
  const cli = new Cli({ binaryLabel: "flow", binaryName: "flow", binaryVersion: "0.1.0" });
  const args = makeStyleArgs(argv);
  for (const c of await commandsFor(args)) cli.register(c);
  cli.register(Builtins.HelpCommand);
  cli.register(Builtins.VersionCommand);
  let command;
  try {
    command = cli.process(args, Cli.defaultContext);
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
