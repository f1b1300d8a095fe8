import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { collapseContinuations, endsWithContinuation, joinContinued, joinRecipe } from "./logical-line.js";
import { Prng } from "../fuzz/fuzz-cases.js";

/** The reader's former join: append each line, trim the whole text at each break (quadratic, but the meaning). */
function referenceJoin(lines: readonly string[], start: number): { text: string; next: number } {
  let i = start;
  let text = lines[i] as string;
  while (endsWithContinuation(text) && i + 1 < lines.length) {
    i++;
    text = text.slice(0, -1).replace(/[ \t]+$/, "") + " " + (lines[i] as string).replace(/^[ \t]+/, "");
  }
  return { text, next: i + 1 };
}

function referenceRecipe(lines: readonly string[], start: number): { text: string; next: number } {
  let i = start;
  let text = lines[i] as string;
  while (endsWithContinuation(text) && i + 1 < lines.length) {
    i++;
    const next = lines[i] as string;
    text += "\n" + (next.startsWith("\t") ? next.slice(1) : next);
  }
  return { text, next: i + 1 };
}

const join = (text: string) => joinContinued(text.split("\n"), 0);

describe("joinContinued", () => {
  test("a line without a continuation is returned as is", () => {
    assert.deepEqual(join("A = 1 \nB = 2"), { text: "A = 1 ", next: 1 });
  });

  test("blanks around each break become one space", () => {
    assert.deepEqual(join("A = one \\\n    two\\\n\tthree\nB"), { text: "A = one two three", next: 3 });
  });

  test("an escaped backslash at the end is not a continuation; three are", () => {
    assert.deepEqual(join("A = x \\\\\nB"), { text: "A = x \\\\", next: 1 });
    assert.deepEqual(join("A = x \\\\\\\nB"), { text: "A = x \\\\ B", next: 2 });
  });

  test("a line that is only a backslash adds nothing", () => {
    assert.deepEqual(join("A = a \\\n   \\\n \\\n  b\n"), { text: "A = a b", next: 4 });
    // ... also at the start: the logical line then starts with the joining space.
    assert.deepEqual(join("\\\nA = 1"), { text: " A = 1", next: 2 });
    assert.deepEqual(join("\\\n\\\nA = 1"), { text: " A = 1", next: 3 });
  });

  test("a blank line ends the logical line", () => {
    assert.deepEqual(join("A = a \\\n \t \nB = 2"), { text: "A = a ", next: 2 });
    assert.deepEqual(join("A = a\\\n\nB"), { text: "A = a ", next: 2 });
  });

  test("a backslash on the last line of the file stays", () => {
    assert.deepEqual(join("A = 1 \\"), { text: "A = 1 \\", next: 1 });
    assert.deepEqual(join("A = 1 \\\n  2 \\"), { text: "A = 1 2 \\", next: 2 });
  });

  test("comments and \\# are left to the caller, as written", () => {
    assert.deepEqual(join("# c \\\nA = hidden\nB"), { text: "# c A = hidden", next: 2 });
    assert.deepEqual(join("A = x \\# y \\\n z"), { text: "A = x \\# y z", next: 2 });
  });

  test("a carriage return is an ordinary character (the reader drops CR before)", () => {
    assert.deepEqual(join("A = 1 \\\r\n 2"), { text: "A = 1 \\\r", next: 1 });
  });

  test("a 1,000-line rule joins in one pass", () => {
    const lines = ["all: w0 \\", ...Array.from({ length: 999 }, (_, i) => `  w${i + 1}${i < 998 ? " \\" : ""}`)];
    const r = joinContinued(lines, 0);
    assert.equal(r.next, 1000);
    assert.equal(r.text, `all: ${Array.from({ length: 1000 }, (_, i) => `w${i}`).join(" ")}`);
  });

  test("same result as the former join on random lines of blanks, backslashes and words", () => {
    const r = new Prng(7);
    const pieces = [" ", "\t", "\\", "\\\\", "a", "b c", "#", "\r", ""];
    for (let n = 0; n < 5000; n++) {
      const lines = Array.from({ length: 1 + r.int(6) }, () => Array.from({ length: r.int(6) }, () => r.pick(pieces)).join(""));
      const start = r.int(lines.length);
      assert.deepEqual(joinContinued(lines, start), referenceJoin(lines, start), JSON.stringify(lines));
      assert.deepEqual(joinRecipe(lines, start), referenceRecipe(lines, start), JSON.stringify(lines));
    }
  });
});

describe("joinRecipe", () => {
  test("keeps backslash-newline and drops one leading tab of each continued line", () => {
    const lines = "\techo a \\\n\t\tb \\\n  c\n\techo d".split("\n");
    assert.deepEqual(joinRecipe(lines, 0), { text: "\techo a \\\n\tb \\\n  c", next: 3 });
    assert.deepEqual(joinRecipe(lines, 3), { text: "\techo d", next: 4 });
  });

  test("an escaped backslash ends the recipe line", () => {
    assert.deepEqual(joinRecipe(["\techo a \\\\", "\techo b"], 0), { text: "\techo a \\\\", next: 1 });
  });

  test("a continued line that is only a tab ends it", () => {
    assert.deepEqual(joinRecipe(["\ta \\", "\t", "\tb"], 0), { text: "\ta \\\n", next: 2 });
  });
});

describe("collapseContinuations (define bodies)", () => {
  test("backslash-newline becomes one space; other newlines stay", () => {
    assert.equal(collapseContinuations("a \\\n   b\nc"), "a b\nc");
    assert.equal(collapseContinuations("a\\\\\nb"), "a\\\\\nb");
    assert.equal(collapseContinuations("a \\\n\\\nb"), "a b");
    assert.equal(collapseContinuations("no breaks"), "no breaks");
  });
});
