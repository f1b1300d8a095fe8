/**
 * make's command line, rewritten into what clipanion parses (make's
 * spellings are in every Makefile user's fingers):
 *
 * - no command word: `flow`, `flow -j4 all`, `flow CFLAGS=-O0` build, as
 *   `make` does; `flow help [COMMAND]`, `flow version` and `-V` are help and
 *   the version;
 * - bundled short flags are split: `-kj2` is `-k -j 2`, `-sj4`, `-kj`,
 *   `-Cdir` is `-C dir`, `-fFILE`;
 * - `-j` / `--jobs` without a number means no limit (`--jobs=unlimited`),
 *   and `-l` / `--load-average` without one removes the limit;
 *   `-l2.5` is `--load-average=2.5`.
 *
 * A word with a letter flow does not know is left as it is (clipanion's
 * error names it). Nothing after `--` is touched.
 */
// `runs` and `log` (the build history) too: a target of one of these names is built with `flow build NAME`.
const COMMAND_WORDS = new Set(["build", "clean", "status", "explain", "cache", "runs", "log", "ui"]);
const HELP_WORDS = new Set(["-h", "--help"]);
/** `flow server start|stop|status`; `flow server` alone still builds a target named server, as make would. */
const SERVER_WORDS = new Set(["start", "stop", "status"]);
const isServerCommand = (argv: readonly string[]) => argv[0] === "server" && (SERVER_WORDS.has(argv[1] ?? "") || HELP_WORDS.has(argv[1] ?? ""));
const VERSION_WORDS = new Set(["--version", "-V"]);

/** Short flags without a value that some command knows. */
const FLAGS = new Set(["k", "s", "n", "B", "q", "i", "e", "v"]);
/** Short options whose value is the rest of the word, or the next word. */
const WITH_VALUE = new Set(["C", "f"]);
/** Short options whose value is optional and numeric: the rest of the word, or the next word if it is a number. */
const OPTIONAL_NUMBER: Readonly<Record<string, string>> = { j: "--jobs", l: "--load-average" };
const NUMBER = /^[0-9]+(\.[0-9]+)?$/;

export function makeStyleArgs(argv: readonly string[]): string[] {
  const first = argv[0];
  if (first === "help") return [...argv.slice(1, 2), "--help"];
  if (first === "version" || (first !== undefined && VERSION_WORDS.has(first))) return ["--version"];
  // No command word: build (but `flow --help` is help).
  const args = first !== undefined && (COMMAND_WORDS.has(first) || HELP_WORDS.has(first) || isServerCommand(argv)) ? [...argv] : ["build", ...argv];
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === "--") {
      out.push(...args.slice(i));
      break;
    }
    const next = args[i + 1];
    const long = /^--(jobs|load-average)$/.exec(a);
    if (long) {
      // make's --jobs takes its number only from the same word or a number after it.
      if (next !== undefined && NUMBER.test(next)) {
        out.push(`${a}=${next}`);
        i++;
      } else out.push(`${a}=unlimited`);
      continue;
    }
    if (!/^-[A-Za-z]/.test(a)) {
      out.push(a);
      continue;
    }
    const split = splitBundle(a.slice(1), next);
    if (split === undefined) out.push(a);
    else {
      out.push(...split.words);
      if (split.tookNext) i++;
    }
  }
  return out;
}

/** `-kj2` as `-k -j 2`; undefined when a letter is not one flow knows. */
function splitBundle(bundle: string, next: string | undefined): { words: string[]; tookNext: boolean } | undefined {
  const words: string[] = [];
  for (let k = 0; k < bundle.length; k++) {
    const c = bundle[k] as string;
    const rest = bundle.slice(k + 1);
    if (FLAGS.has(c)) {
      words.push(`-${c}`);
      continue;
    }
    if (WITH_VALUE.has(c)) {
      if (rest !== "") return { words: [...words, `-${c}`, rest], tookNext: false };
      // The value is the next word: clipanion takes it.
      return { words: [...words, `-${c}`], tookNext: false };
    }
    const name = OPTIONAL_NUMBER[c];
    if (name !== undefined) {
      if (rest !== "") return NUMBER.test(rest) ? { words: [...words, `${name}=${rest}`], tookNext: false } : undefined;
      if (next !== undefined && NUMBER.test(next)) return { words: [...words, `${name}=${next}`], tookNext: true };
      return { words: [...words, `${name}=unlimited`], tookNext: false };
    }
    return undefined;
  }
  return { words, tookNext: false };
}
