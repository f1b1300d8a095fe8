import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { depfileInputs, parseDepfile } from "./depfile.js";

describe("parseDepfile", () => {
  test("gcc -MMD -MP: the object's rule over continuation lines, then a phony rule per header", () => {
    const text = "build/a.o: src/a.c include/a.h \\\n include/b.h\ninclude/a.h:\ninclude/b.h:\n";
    assert.deepEqual(parseDepfile(text), [
      { targets: ["build/a.o"], prereqs: ["src/a.c", "include/a.h", "include/b.h"] },
      { targets: ["include/a.h"], prereqs: [] },
      { targets: ["include/b.h"], prereqs: [] },
    ]);
    assert.deepEqual(depfileInputs(text), ["src/a.c", "include/a.h", "include/b.h"]);
  });

  test("escapes as gcc and clang write them: '\\ ' a space, '\\#' a '#', '$$' a '$', other backslashes kept", () => {
    const text = "out/x.o: my\\ file.h hash\\#1.h cost$$.h dir\\sub.h\n";
    assert.deepEqual(depfileInputs(text), ["my file.h", "hash#1.h", "cost$.h", "dir\\sub.h"]);
  });

  test("2N+1 backslashes before a space are N backslashes and a space; 2N are N and the end of a word", () => {
    assert.deepEqual(depfileInputs("x.o: a\\\\\\ b.h\n"), ["a\\ b.h"]);
    assert.deepEqual(depfileInputs("x.o: a\\\\ b.h\n"), ["a\\", "b.h"]);
  });

  test("continuations may leave the colon alone on a line, CRLF line ends are read, blank lines and comments skipped", () => {
    const text = "x.o \\\r\n  : \\\r\n  x.c \\\r\n  y.h\r\n\r\n# a comment\r\n";
    assert.deepEqual(parseDepfile(text), [{ targets: ["x.o"], prereqs: ["x.c", "y.h"] }]);
  });

  test("several targets (-MT a -MT b) and duplicates: every prerequisite once, in order", () => {
    assert.deepEqual(depfileInputs("a.o b.o: a.c x.h\na.o: x.h y.h\n"), ["a.c", "x.h", "y.h"]);
  });

  test("an empty file is a depfile with no rules", () => {
    assert.deepEqual(parseDepfile(""), []);
    assert.deepEqual(depfileInputs("\n\n"), []);
  });

  test("what a depfile never holds makes the text a Makefile, not a depfile", () => {
    for (const text of [
      "CFLAGS = -O2\n",
      "x.o: x.c\n\tcc -c x.c\n",
      "x.o: $(HDRS)\n",
      "x.o: x.c | build\n",
      "x.o: x.c ; cc -c x.c\n",
      "%.o: %.c\n",
      "X := 1\n",
      "x.o:: x.c\n",
      ".PHONY: x.h\n",
      "include other.mk\n",
      "x.o: a: b\n",
    ]) {
      assert.equal(parseDepfile(text), undefined, JSON.stringify(text));
    }
  });
});
