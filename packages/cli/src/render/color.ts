// When flow colours its output, and the paint it uses (docs/output-live.md).
//
// One rule for the build's lines, help and usage errors alike, decided per
// stream: `--color=always|never` first (the command line beats the
// environment), then FORCE_COLOR (0 or false: off, anything else: on; it
// beats NO_COLOR, as in Node itself), then NO_COLOR (non-empty: off), then
// colour only on a terminal that is not TERM=dumb and not under CI (a CI
// log keeps plain lines; FORCE_COLOR asks for colour there).
//
// The paint comes from picocolors, loaded only when colour is on: a piped or
// CI build never loads it.

export type ColorMode = "auto" | "always" | "never";

/** The `--color` value, or undefined when it is none of auto, always, never. */
export function parseColorMode(text: string | undefined): ColorMode | undefined {
  if (text === undefined) return "auto";
  return text === "auto" || text === "always" || text === "never" ? text : undefined;
}

/** Whether output written to `stream` is coloured. */
export function colorOn(mode: ColorMode, stream: { readonly isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  if (mode !== "auto") return mode === "always";
  const force = env["FORCE_COLOR"];
  if (force !== undefined) return force !== "0" && force !== "false";
  if ((env["NO_COLOR"] ?? "") !== "") return false;
  return stream.isTTY === true && env["TERM"] !== "dumb" && !underCi(env);
}

/** CI set to anything but empty, 0 or false: a CI service's log, even on a pseudo-terminal. */
export function underCi(env: NodeJS.ProcessEnv): boolean {
  const ci = env["CI"];
  return ci !== undefined && ci !== "" && ci !== "0" && ci !== "false";
}

/**
 * The `--color` value among the words of a command line, for help and usage
 * errors (printed before any command parses its options); "auto" when it is
 * absent or not one of the three. Words after `--` are not options.
 */
export function colorModeInArgs(args: readonly string[]): ColorMode {
  let mode: ColorMode = "auto";
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === "--") break;
    const value = a === "--color" ? args[i + 1] : a.startsWith("--color=") ? a.slice("--color=".length) : undefined;
    if (value !== undefined) mode = parseColorMode(value) ?? mode;
  }
  return mode;
}

/** `args` less their `--color` option: for help, which takes no option but may be asked for in colour. */
export function withoutColorOption(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === "--") {
      out.push(...args.slice(i));
      break;
    }
    if (a === "--color") i++;
    else if (!a.startsWith("--color=")) out.push(a);
  }
  return out;
}

/** How each word is painted; every function returns its text as it is when colour is off. */
export interface Paint {
  readonly ran: (s: string) => string;
  readonly restored: (s: string) => string;
  readonly fresh: (s: string) => string;
  readonly failed: (s: string) => string;
  readonly cannotRun: (s: string) => string;
  readonly skipped: (s: string) => string;
  readonly ok: (s: string) => string;
  readonly dim: (s: string) => string;
}

const same = (s: string) => s;

/** No colour: every word as it is. */
export const PLAIN: Paint = { ran: same, restored: same, fresh: same, failed: same, cannotRun: same, skipped: same, ok: same, dim: same };

/** The paint for a stream whose colour is `on`: picocolors loaded only then. */
export async function loadPaint(on: boolean): Promise<Paint> {
  if (!on) return PLAIN;
  const pc = (await import("picocolors")).default.createColors(true);
  return {
    ran: pc.green,
    restored: pc.cyan,
    fresh: pc.dim,
    failed: (s) => pc.bold(pc.red(s)),
    cannotRun: pc.yellow,
    skipped: pc.dim,
    ok: pc.green,
    dim: pc.dim,
  };
}
