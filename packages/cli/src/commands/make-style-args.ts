/**
 * Make's spellings that clipanion would reject: `-j8` and `-C dir`'s
 * `-Cdir` are split into option and value (`make -j8` is in every
 * Makefile user's fingers). Nothing after `--` is touched.
 */
export function makeStyleArgs(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === "--") {
      out.push(...argv.slice(i));
      break;
    }
    const m = /^-([jCf])(.+)$/.exec(a);
    if (m && !(m[1] === "j" && !/^[0-9]+$/.test(m[2] as string))) out.push(`-${m[1]}`, m[2] as string);
    else out.push(a);
  }
  return out;
}
