import { Builtins, Cli, type CommandClass } from "./commands/clipanion.js";
import { EXIT } from "./exit-codes.js";
import { listenForInterrupts } from "./run/interrupt.js";
import { makeStyleArgs } from "./commands/make-style-args.js";
import { colorModeInArgs, colorOn, withoutColorOption } from "./render/color.js";

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
  runs: async (args) => {
    const show = [(await import("./commands/runs-show-command.js")).RunsShowCommand];
    // `flow runs` alone, or any other second word: the listing too (its help, its errors).
    return args[1] === "show" ? show : [(await import("./commands/runs-command.js")).RunsCommand, ...show];
  },
  log: async () => [(await import("./commands/log-command.js")).LogCommand],
  ui: async () => [(await import("./commands/ui-command.js")).UiCommand],
  server: async () => {
    const m = await import("./commands/server-command.js");
    return [m.ServerStartCommand, m.ServerStopCommand, m.ServerStatusCommand];
  },
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
  const given = makeStyleArgs(argv);
  // Help and usage errors follow the build's colour rule (color.ts): clipanion alone colours them
  // whenever the terminal type could show colour, even into a pipe.
  const colorMode = colorModeInArgs(given);
  const args = given[0] === "--help" || given[0] === "-h" ? withoutColorOption(given) : given;
  const cli = new FlowCli({ binaryLabel: "flow", binaryName: "flow", binaryVersion: "0.1.0", enableColors: colorOn(colorMode, process.stdout, process.env) });
  for (const c of await commandsFor(args)) cli.register(c);
  cli.register(Builtins.HelpCommand);
  cli.register(Builtins.VersionCommand);
  let command;
  try {
    command = cli.process(args, Cli.defaultContext);
  } catch (e) {
    process.stderr.write(cli.error(e, { colored: colorOn(colorMode, process.stderr, process.env) }));
    return EXIT.usage;
  }
  const code = await cli.run(command, Cli.defaultContext);
  return code;
}

/** What an option's value is, in help: `-C,--directory DIR`, not clipanion's `#0`. */
const PLACEHOLDERS: Readonly<Record<string, string>> = {
  "--directory": "DIR",
  "--file": "FILE",
  "--cache-dir": "DIR",
  "--jobs": "N",
  "--load-average": "N",
  "--tag": "T",
  "--remote-url": "URL",
  "--remote-team": "TEAM",
  "--plan": "FORMAT",
  "--width": "N",
  "--max-size": "SIZE",
  "--keep": "N",
  "--keep-runs": "N",
  "--max-runs-size": "SIZE",
  "--idle-timeout": "SECONDS",
  "--output-logs": "MODE",
  "--color": "WHEN",
  "--port": "N",
};

/**
 * clipanion's help, with names for values: an option's `#0` becomes DIR,
 * FILE, N..., and a command's trailing `...` says what the words are
 * (targets and VAR=value).
 */
class FlowCli extends Cli {
  override usage(...args: Parameters<InstanceType<typeof Cli>["usage"]>): string {
    return readableUsage(super.usage(...args));
  }
}

export function readableUsage(text: string): string {
  return text
    .replace(/(--[a-z-]+) #0( *)/g, (_m, name: string, pad: string) => {
      const value = PLACEHOLDERS[name] ?? name.slice(2).toUpperCase();
      // The option list pads each name to one column: give back what the longer name took.
      return `${name} ${value}${pad.length > 0 ? " ".repeat(Math.max(1, pad.length - (value.length - 2))) : ""}`;
    })
    // eslint-disable-next-line no-control-regex -- clipanion colours its help with ANSI escapes
    .replace(/ \.\.\.((?:\x1b\[[0-9;]*m)*)$/gm, " [TARGET...] [VAR=value...]$1");
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
