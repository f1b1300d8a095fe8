/**
 * A line diff for `flow explain`'s recipe comparison: the longest common
 * subsequence of lines, printed as kept (" "), removed ("-") and added ("+").
 * Recipes are short, so the quadratic table is fine; past MAX_CELLS (long
 * generated recipes) it falls back to "all removed, all added" instead of
 * using unbounded memory.
 */
export interface DiffLine {
  readonly op: " " | "-" | "+";
  readonly line: string;
}

const MAX_CELLS = 4_000_000;

export function lineDiff(before: string, after: string): DiffLine[] {
  const a = splitLines(before);
  const b = splitLines(after);
  // Common head and tail first: most edits touch one line.
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const midA = a.slice(head, a.length - tail);
  const midB = b.slice(head, b.length - tail);
  const out: DiffLine[] = a.slice(0, head).map((line) => ({ op: " ", line }));
  out.push(...middle(midA, midB));
  out.push(...a.slice(a.length - tail).map((line) => ({ op: " " as const, line })));
  return out;
}

function middle(a: readonly string[], b: readonly string[]): DiffLine[] {
  if ((a.length + 1) * (b.length + 1) > MAX_CELLS) {
    return [...a.map((line) => ({ op: "-" as const, line })), ...b.map((line) => ({ op: "+" as const, line }))];
  }
  // lcs[i][j]: length of the LCS of a[i..] and b[j..], in one flat array.
  const w = b.length + 1;
  const lcs = new Uint32Array((a.length + 1) * w);
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i * w + j] = a[i] === b[j] ? (lcs[(i + 1) * w + j + 1] as number) + 1 : Math.max(lcs[(i + 1) * w + j] as number, lcs[i * w + j + 1] as number);
    }
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      out.push({ op: " ", line: a[i] as string });
      i++;
      j++;
    } else if ((lcs[(i + 1) * w + j] as number) >= (lcs[i * w + j + 1] as number)) {
      out.push({ op: "-", line: a[i++] as string });
    } else {
      out.push({ op: "+", line: b[j++] as string });
    }
  }
  while (i < a.length) out.push({ op: "-", line: a[i++] as string });
  while (j < b.length) out.push({ op: "+", line: b[j++] as string });
  return out;
}

function splitLines(s: string): string[] {
  if (s === "") return [];
  const lines = s.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}
