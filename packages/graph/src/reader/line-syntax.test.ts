import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { AssignOp } from "./flowfile-model.js";
import { findClose, topLevelIndex } from "./expander.js";
import { Prng } from "../fuzz/fuzz-cases.js";
import { findSeparator, indentWidth, plainRuleColon, stripModifiers } from "./line-syntax.js";

/** findSeparator as it was before its indexOf fast path: the meaning. */
function referenceSeparator(text: string): { kind: "rule"; index: number } | { kind: "assign"; index: number; op: AssignOp } | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "$" && (text[i + 1] === "(" || text[i + 1] === "{")) {
      depth++;
      i++;
      continue;
    }
    if (c === "$" && text[i + 1] === "$") {
      i++;
      continue;
    }
    if ((c === "(" || c === "{") && depth > 0) depth++;
    else if ((c === ")" || c === "}") && depth > 0) depth--;
    else if (depth > 0) continue;
    else if (c === "=") {
      const p = text[i - 1];
      if (p === "+" || p === "?" || p === "!") return { kind: "assign", index: i - 1, op: `${p}=` as AssignOp };
      return { kind: "assign", index: i, op: "=" };
    } else if (c === ":") {
      if (text.startsWith("::=", i)) return { kind: "assign", index: i, op: "::=" };
      if (text[i + 1] === "=") return { kind: "assign", index: i, op: ":=" };
      return { kind: "rule", index: i };
    }
  }
  return undefined;
}

/** findClose as it was before its indexOf fast path. */
function referenceClose(text: string, open: number): number {
  const opener = text[open];
  const closer = opener === "(" ? ")" : "}";
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const ch = text[i];
    if (ch === opener) depth++;
    else if (ch === closer) {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** topLevelIndex as it was before its indexOf fast path. */
function referenceTopLevel(text: string, ch: string, from = 0): number {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === "(" || c === "{") depth++;
    else if ((c === ")" || c === "}") && depth > 0) depth--;
    else if (c === ch && depth === 0) return i;
  }
  return -1;
}

const randomText = (r: Prng, alphabet: readonly string[], max: number) => Array.from({ length: r.int(max) }, () => r.pick(alphabet)).join("");

describe("findSeparator", () => {
  test("rules, each assignment operator, and separators inside references", () => {
    assert.deepEqual(findSeparator("a b: c"), { kind: "rule", index: 3 });
    assert.deepEqual(findSeparator("A = 1"), { kind: "assign", index: 2, op: "=" });
    for (const op of [":=", "::=", "+=", "?=", "!="] as const) assert.deepEqual(findSeparator(`A ${op} 1`), { kind: "assign", index: 2, op });
    assert.deepEqual(findSeparator("$(X:a=b): c"), { kind: "rule", index: 8 });
    assert.deepEqual(findSeparator("$$:x"), { kind: "rule", index: 2 });
    assert.equal(findSeparator("no separator"), undefined);
    assert.equal(findSeparator("$(a:b"), undefined);
  });

  test("same answer as the character scan on random text", () => {
    const r = new Prng(11);
    const alphabet = ["a", " ", ":", "=", "$", "(", ")", "{", "}", "+", "?", "!", "$(", "$$", "::="];
    for (let n = 0; n < 20_000; n++) {
      const t = randomText(r, alphabet, 12);
      assert.deepEqual(findSeparator(t), referenceSeparator(t), JSON.stringify(t));
    }
  });
});

describe("topLevelIndex", () => {
  test("skips brackets, finds the first top-level character", () => {
    assert.equal(topLevelIndex("a $(b;c) ; d", ";"), 9);
    assert.equal(topLevelIndex("a ) ; d", ";"), 4);
    assert.equal(topLevelIndex("(;", ";"), -1);
    assert.equal(topLevelIndex("x;y;z", ";", 2), 3);
  });

  test("same answer as the character scan on random text, for every character it is asked about", () => {
    const r = new Prng(12);
    const alphabet = ["a", " ", ";", ":", "|", "(", ")", "{", "}", "$"];
    for (let n = 0; n < 20_000; n++) {
      const t = randomText(r, alphabet, 12);
      const ch = r.pick([";", ":", "|", "(", ")", "{", "}", "a"]);
      const from = r.int(4);
      assert.equal(topLevelIndex(t, ch, from), referenceTopLevel(t, ch, from), JSON.stringify([t, ch, from]));
    }
  });
});

describe("findClose", () => {
  test("only the opener's kind nests", () => {
    assert.equal(findClose("$(a (b) c) d", 1), 9);
    assert.equal(findClose("${a (b} c}", 1), 6);
    assert.equal(findClose("$(a (b c", 1), -1);
  });

  test("same answer as the character scan on random text", () => {
    const r = new Prng(13);
    const alphabet = ["a", "(", ")", "{", "}", "$", " "];
    for (let n = 0; n < 20_000; n++) {
      const t = randomText(r, alphabet, 14);
      const open = r.int(t.length + 1);
      assert.equal(findClose(t, open), referenceClose(t, open), JSON.stringify([t, open]));
    }
  });
});

describe("stripModifiers", () => {
  test("leading modifiers, and the words that only look like them", () => {
    assert.deepEqual(stripModifiers("export override A = 1"), { text: "A = 1", offset: 16, exportIt: true, override: true, unexport: false, undefine: false });
    assert.deepEqual(stripModifiers("private X"), { text: "X", offset: 8, exportIt: false, override: false, unexport: false, undefine: false });
    assert.deepEqual(stripModifiers("unexport A").unexport, true);
    assert.deepEqual(stripModifiers("undefine A").undefine, true);
    for (const line of ["export = 1", "exports A", "out: x", "e", "", "all: export"]) {
      assert.deepEqual(stripModifiers(line), { text: line, offset: 0, exportIt: false, override: false, unexport: false, undefine: false }, line);
    }
  });
});

describe("indentWidth", () => {
  test("counts what trimStart drops, blanks and other white space", () => {
    for (const s of ["", "x", "\tx", "  \t x", "   ", "\t", " \u00a0x", "\u000bx", "\t\u2028 x", " \r"]) {
      assert.equal(indentWidth(s), s.length - s.trimStart().length, JSON.stringify(s));
    }
  });
});

describe("plainRuleColon", () => {
  test("a rule with literal words is plain", () => {
    assert.equal(plainRuleColon("out/a: src/a.c src/b.c"), 5);
    assert.equal(plainRuleColon("a b:"), 3);
    assert.equal(plainRuleColon("a\tb :  c\t d "), 4);
    assert.equal(plainRuleColon("endif2: x"), 6);
    assert.equal(plainRuleColon("ifeq: x"), 4); // the first word is `ifeq:`, not a directive
    assert.equal(plainRuleColon("else: x"), 4);
    assert.equal(plainRuleColon("include.mk: x"), 10);
  });

  test("anything the general path must look at is not", () => {
    for (const line of [
      "",
      ": x",
      " a: b",
      "\ta: b",
      ".PHONY: all",
      "a:: b",
      "a: b: c",
      "a: $(B)",
      "a: b # c",
      "a: b ; c",
      "a: B = 1",
      "a: b | c",
      "a &: b",
      "%.o: %.c",
      "a(b): c",
      "a: {b}",
      "a: b\\",
      "a: \u00e9",
      "a:\r",
      "a: b\u00a0c",
      "no colon",
      "ifeq : x",
      "else\t: x",
      "endif",
      "export a: b",
      "override a: b",
      "define a: b",
      "-include a: b",
      "vpath a: b",
    ]) {
      assert.equal(plainRuleColon(line), -1, JSON.stringify(line));
    }
  });
});
