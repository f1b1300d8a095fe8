import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { depfileOfRecipe, projectPath } from "./depfile-name.js";

describe("depfileOfRecipe", () => {
  test("-MMD and -MD write the target with its suffix replaced by .d", () => {
    assert.equal(depfileOfRecipe("gcc -O2 -MMD -MP -c src/a.c -o build/a.o", "build/a.o"), "build/a.d");
    assert.equal(depfileOfRecipe("mkdir -p build\ncc -MD -c a.c -o build/a.o", "build/a.o"), "build/a.d");
    assert.equal(depfileOfRecipe("cc -MMD -o prog prog.c", "prog"), "prog.d");
    assert.equal(depfileOfRecipe("cc -MMD -c x.tar.c -o out/x.tar.o", "out/x.tar.o"), "out/x.tar.d");
  });

  test("-MF names the depfile, as one word or two; so does the kernel's -Wp,-MD,FILE", () => {
    assert.equal(depfileOfRecipe("cc -MMD -MF deps/a.dep -c a.c -o a.o", "a.o"), "deps/a.dep");
    assert.equal(depfileOfRecipe("cc -MMD -MFdeps/a.dep -c a.c -o a.o", "a.o"), "deps/a.dep");
    assert.equal(depfileOfRecipe("cc -Wp,-MMD,./.a.o.d -c a.c -o a.o", "a.o"), ".a.o.d");
    assert.equal(depfileOfRecipe("cc -MD '-MF' 'x.d' -c a.c", "a.o"), "x.d");
  });

  test("no depfile: no flag, -M/-MM alone (they print instead of compiling), or a flag inside a word", () => {
    assert.equal(depfileOfRecipe("cc -c a.c -o a.o", "a.o"), undefined);
    assert.equal(depfileOfRecipe("cc -MM a.c > a.dep", "a.dep"), undefined);
    assert.equal(depfileOfRecipe("cc -MF x.d -c a.c", "a.o"), undefined);
    assert.equal(depfileOfRecipe("echo use-MMD", "a.o"), undefined);
  });

  test("a depfile outside the project, absolute, or left to the shell to expand is none", () => {
    assert.equal(depfileOfRecipe("cc -MMD -MF /tmp/a.d -c a.c", "a.o"), undefined);
    assert.equal(depfileOfRecipe("cc -MMD -MF ../a.d -c a.c", "a.o"), undefined);
    assert.equal(depfileOfRecipe("cc -MMD -MF $$D -c a.c", "a.o"), undefined);
    assert.equal(projectPath("./build/../build/a.d"), "build/a.d");
  });
});
