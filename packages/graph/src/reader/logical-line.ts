/**
 * Backslash-newline continuations, outside recipes: Make joins a continued
 * line to the next with one space, dropping the blanks (spaces and tabs)
 * around the break.
 *
 * The reader used to build the logical line by appending each physical line
 * to the text so far and trimming the whole text with `/[ \t]+$/` at every
 * break. On a 1,000-line `all:` rule that is quadratic (the text and the
 * regex scan grow with every line): most of the time of reading a large
 * Flowfile. Here each physical line is trimmed on its own and the pieces are
 * joined once. The result is the same: a piece that is blank after trimming
 * adds nothing (trimming the whole text would have removed the space before
 * it, and the text before that space never ends in a blank), and a blank
 * piece cannot hide a continuation (the next piece follows a space).
 */

/** A logical line and the index of the physical line after it. */
export interface LogicalLine {
  readonly text: string;
  readonly next: number;
}

/** The line starting at `lines[start]`, with its continuations joined. */
export function joinContinued(lines: readonly string[], start: number): LogicalLine {
  const first = lines[start] as string;
  // Almost every line: no continuation, no new string.
  if (!endsWithContinuation(first) || start + 1 >= lines.length) return { text: first, next: start + 1 };
  const parts = [trimEnd(first, first.length - 1)];
  let i = start + 1;
  for (;;) {
    const line = lines[i] as string;
    const from = blankPrefix(line);
    if (!endsWithContinuation(line) || i + 1 >= lines.length) {
      // The last piece keeps its end as written (a final backslash at the end of the file stays).
      parts.push(from === 0 ? line : line.slice(from));
      return { text: parts.join(" "), next: i + 1 };
    }
    const piece = line.slice(from, trimEnd(line, line.length - 1).length);
    // A piece that was only the backslash adds nothing; see above.
    if (piece !== "") parts.push(piece);
    i++;
  }
}

/**
 * A recipe line starting at `lines[start]`, with its continuations: Make
 * keeps backslash-newline in recipes and drops one leading tab of each
 * continued line.
 */
export function joinRecipe(lines: readonly string[], start: number): LogicalLine {
  const first = lines[start] as string;
  let i = start;
  if (!endsWithContinuation(first)) return { text: first, next: start + 1 };
  const parts = [first];
  while (i + 1 < lines.length) {
    i++;
    const line = lines[i] as string;
    parts.push(line.charCodeAt(0) === TAB ? line.slice(1) : line);
    if (!endsWithContinuation(line)) break;
  }
  return { text: parts.join("\n"), next: i + 1 };
}

/** An odd number of backslashes at the end: the line goes on (`\\` is a literal backslash). */
export function endsWithContinuation(line: string): boolean {
  let n = 0;
  for (let i = line.length - 1; i >= 0 && line.charCodeAt(i) === BACKSLASH; i--) n++;
  return n % 2 === 1;
}

/** Backslash-newline inside a `define` body becomes one space, as Make reads it. */
export function collapseContinuations(body: string): string {
  if (!body.includes("\\\n")) return body;
  const lines = body.split("\n");
  const out: string[] = [];
  let cur: string | undefined;
  for (const l of lines) {
    const piece: string = cur === undefined ? l : l.slice(blankPrefix(l));
    cur = cur === undefined ? piece : cur + piece;
    if (endsWithContinuation(cur)) cur = trimEnd(cur, cur.length - 1) + " ";
    else {
      out.push(cur);
      cur = undefined;
    }
  }
  if (cur !== undefined) out.push(cur);
  return out.join("\n");
}

const BACKSLASH = 0x5c;
const SPACE = 0x20;
const TAB = 0x09;

/** Length of the run of spaces and tabs at the start of `s`. */
export function blankPrefix(s: string): number {
  let i = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c !== SPACE && c !== TAB) break;
    i++;
  }
  return i;
}

/** `s.slice(0, end)` without the spaces and tabs at its end (what `.replace(/[ \t]+$/, "")` gave). */
export function trimEnd(s: string, end: number): string {
  let e = end;
  while (e > 0) {
    const c = s.charCodeAt(e - 1);
    if (c !== SPACE && c !== TAB) break;
    e--;
  }
  return s.slice(0, e);
}
