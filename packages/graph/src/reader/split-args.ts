/** One function argument as written, with its offset in the argument text (for carets). */
export interface RawArg {
  readonly text: string;
  readonly offset: number;
}

/**
 * Split function arguments at top-level commas; at most `max` pieces (the
 * last keeps its commas). Like Make, only parentheses of the call's own kind
 * (`opener`) nest: in `$(subst {,x,...)` the brace is an ordinary character.
 */
export function splitArgs(raw: string, max: number, opener = "("): RawArg[] {
  const closer = opener === "(" ? ")" : "}";
  const args: RawArg[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === opener) depth++;
    else if (c === closer) depth--;
    else if (c === "," && depth === 0 && args.length < max - 1) {
      args.push({ text: raw.slice(start, i), offset: start });
      start = i + 1;
    }
  }
  args.push({ text: raw.slice(start), offset: start });
  return args;
}
