/**
 * MAKEFLAGS as GNU make writes it for the programs it starts, read back:
 *
 *   "ks -j2 --jobserver-auth=fifo:/tmp/GMfifo1 -- CFLAGS=-O2"
 *
 * - a first word without a dash (and without `=`) is a bundle of
 *   single-letter flags (`ks` = -k -s); a word `-ks` is one too;
 * - `-j2`, `-l2.5`, `-Cdir` carry their value in the word (`-j` alone: no limit);
 * - `--name` or `--name=value` is a long option (`--jobserver-auth=R,W`,
 *   `--load-average=3`);
 * - after `--` come the command line's variables (`NAME=value`);
 * - a `\` escapes the next character (make writes a blank inside a value as `\ `).
 *
 * Only parsed here: whoever applies a flag decides what it means (the build
 * takes -k -s -n -q -B -i -e -j -l; a sub-build reads `--jobserver-auth`;
 * `r`/`R` turn built-in rules off).
 */
export interface MakeFlags {
  /** Single-letter flags without a value, as given: `k`, `s`, `n`, `r`, ... */
  readonly letters: ReadonlySet<string>;
  /** `-jN`: N; `-j` alone: "unlimited"; absent: undefined. */
  readonly jobs?: number | "unlimited";
  /** `-lN` / `--load-average=N`; `-l` alone: "unlimited" (no limit). */
  readonly loadAverage?: number | "unlimited";
  /** Long options by name (without `--`): their value, or "" when none. */
  readonly long: ReadonlyMap<string, string>;
  /** `--jobserver-auth=...` (or make 4.1's `--jobserver-fds=...`), as written. */
  readonly jobserverAuth?: string;
  /** `NAME=value` words after `--`, in order. */
  readonly variables: readonly (readonly [string, string])[];
}

/** Letters that take a value inside their word (`-j2`, `-l3`, `-Cdir`, `-ffile`, `-Idir`, `-ofile`, `-Wfile`). */
const WITH_VALUE = new Set(["j", "l", "C", "f", "I", "o", "W"]);

/** Splits on unescaped blanks; a backslash keeps the next character (MAKEFLAGS escapes spaces in `VAR=value` so). */
export function makeflagsWords(text: string): string[] {
  const out: string[] = [];
  let cur = "";
  let has = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === "\\" && i + 1 < text.length) {
      cur += text[++i];
      has = true;
    } else if (c === " " || c === "\t" || c === "\n") {
      if (has) out.push(cur);
      cur = "";
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (has) out.push(cur);
  return out;
}

/** A number for -j / -l, "unlimited" for none, undefined for a value that is not one. */
function amount(v: string, whole: boolean): number | "unlimited" | undefined {
  if (v === "") return "unlimited";
  if (whole ? !/^[0-9]+$/.test(v) : !/^[0-9]+(\.[0-9]*)?$|^\.[0-9]+$/.test(v)) return undefined;
  return Number(v);
}

export function parseMakeflags(value: string | undefined): MakeFlags {
  const letters = new Set<string>();
  const long = new Map<string, string>();
  const variables: [string, string][] = [];
  let jobs: number | "unlimited" | undefined;
  let loadAverage: number | "unlimited" | undefined;
  const all = makeflagsWords(value ?? "");
  for (let i = 0; i < all.length; i++) {
    const w = all[i] as string;
    if (w === "--") {
      for (const v of all.slice(i + 1)) {
        const eq = v.indexOf("=");
        if (eq > 0) variables.push([v.slice(0, eq), v.slice(eq + 1)]);
      }
      break;
    }
    if (w.startsWith("--")) {
      const eq = w.indexOf("=");
      const name = eq < 0 ? w.slice(2) : w.slice(2, eq);
      const v = eq < 0 ? "" : w.slice(eq + 1);
      long.set(name, v);
      if (name === "jobs") jobs = amount(v, true) ?? jobs;
      if (name === "load-average" || name === "max-load") loadAverage = amount(v, false) ?? loadAverage;
      continue;
    }
    // The first word may be a bare bundle (`ks`); later bare words are variables (old makes put them there).
    const bundle = w.startsWith("-") ? w.slice(1) : i === 0 && !w.includes("=") ? w : undefined;
    if (bundle === undefined) {
      const eq = w.indexOf("=");
      if (eq > 0) variables.push([w.slice(0, eq), w.slice(eq + 1)]);
      continue;
    }
    for (let k = 0; k < bundle.length; k++) {
      const c = bundle[k] as string;
      if (!WITH_VALUE.has(c)) {
        letters.add(c);
        continue;
      }
      const rest = bundle.slice(k + 1);
      if (c === "j") jobs = amount(rest, true) ?? jobs;
      else if (c === "l") loadAverage = amount(rest, false) ?? loadAverage;
      else long.set(c, rest);
      break;
    }
  }
  const auth = long.get("jobserver-auth") ?? long.get("jobserver-fds");
  return {
    letters,
    long,
    variables,
    ...(jobs !== undefined ? { jobs } : {}),
    ...(loadAverage !== undefined ? { loadAverage } : {}),
    ...(auth !== undefined ? { jobserverAuth: auth } : {}),
  };
}
