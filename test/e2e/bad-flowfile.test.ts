// Each bad Flowfile exits 2 with its location, before any recipe runs.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { cleanup, flow, writeProject } from "./support.js";

// Every case has a task that would leave a marker if anything ran.
const MARK = "marker:\n\ttouch ran-something\n";

const cases: { name: string; flowfile: string; expect: RegExp[] }[] = [
  {
    name: "syntax error",
    flowfile: `${MARK}this line is nonsense\n`,
    expect: [/^Flowfile:3:1: error FLOW001: missing separator/m, /\n {2}3 \| this line is nonsense\n {4}\| \^\n/],
  },
  {
    name: "unknown function",
    flowfile: `X := $(patsubt %.c,%.o,a.c)\n${MARK}`,
    expect: [/^Flowfile:1:8: error FLOW002: unknown function 'patsubt'/m, /hint: did you mean 'patsubst'\?/],
  },
  {
    name: "recipe line outside a rule",
    flowfile: `X := 1\n\techo hi\n${MARK}`,
    expect: [/^Flowfile:2:1: error FLOW003: recipe line outside a rule/m, /indented under a rule/],
  },
  {
    name: "a prerequisite no rule makes",
    flowfile: `${MARK}app: main.o\n\tcat $^ > $@\n`,
    expect: [/^Flowfile:3:6: error FLOW004: no rule to make 'main.o', needed by 'app'/m],
  },
  {
    name: "a cycle, printed whole",
    flowfile: `${MARK}a: b\n\ttouch $@\nb: c\n\ttouch $@\nc: a\n\ttouch $@\n`,
    expect: [/error FLOW005: dependency cycle: (a -> b -> c -> a|b -> c -> a -> b|c -> a -> b -> c)/],
  },
  {
    name: "a cycle through a multi-output rule",
    flowfile: `${MARK}x.h x.c &: gen.in\n\ttouch x.h x.c\ngen.in: x.c\n\ttouch $@\n`,
    expect: [/error FLOW005: dependency cycle: (x\.h -> gen\.in -> x\.h|gen\.in -> x\.h -> gen\.in)/],
  },
  {
    name: "two tasks declaring one output (spelled differently)",
    flowfile: `${MARK}out/a:\n\ttouch $@\nother: .OUTPUTS := ./out/x/../a\nother:\n\ttouch out/a\n.PHONY: other\n`,
    expect: [/^Flowfile:5:1: error FLOW006: 'out\/a' is declared as an output of two tasks: 'out\/a' \(Flowfile:3:1\) and \.OUTPUTS of 'other' \(Flowfile:5:1\)/m],
  },
  {
    name: "an output outside the project root",
    flowfile: `${MARK}../escape.txt:\n\ttouch $@\n`,
    expect: [/^Flowfile:3:1: error FLOW007: output '..\/escape.txt' is outside the project root/m],
  },
  {
    name: "a glob outside the project root",
    flowfile: `${MARK}out: ../*.txt\n\ttouch $@\n`,
    expect: [/error FLOW007: glob '..\/\*.txt' reaches outside the project root/],
  },
];

for (const c of cases) {
  test(`bad Flowfile: ${c.name} -> exit 2 with its location, nothing run`, () => {
    const dir = writeProject({ Flowfile: c.flowfile });
    try {
      const r = flow(["build", "marker", "all-the-things-that-do-not-exist-yet"].slice(0, 1), { cwd: dir });
      assert.equal(r.code, 2, `exit code; stderr:\n${r.stderr}`);
      for (const re of c.expect) assert.match(r.stderr, re);
      assert.equal(existsSync(join(dir, "ran-something")), false, "no recipe may run");
      assert.equal(r.stdout, "");
    } finally {
      cleanup(dir);
    }
  });
}

test("an unknown target on the command line exits 2", () => {
  const dir = writeProject({ Flowfile: MARK });
  try {
    const r = flow(["build", "nosuch"], { cwd: dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /error FLOW012: no rule to make target 'nosuch'/);
  } finally {
    cleanup(dir);
  }
});

test("no Flowfile: exit 2 with a hint", () => {
  const dir = writeProject({ "README.txt": "empty project\n" });
  try {
    const r = flow(["build"], { cwd: dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /error FLOW016: no Flowfile in \./);
    assert.match(r.stderr, /hint: create a Flowfile/);
  } finally {
    cleanup(dir);
  }
});

test("a bad option is a usage error: exit 2", () => {
  const dir = writeProject({ Flowfile: MARK });
  try {
    const r = flow(["build", "--no-such-option"], { cwd: dir });
    assert.equal(r.code, 2);
    const j = flow(["build", "-j", "0"], { cwd: dir });
    assert.equal(j.code, 2);
    assert.match(j.stderr, /-j needs a whole number of at least 1/);
  } finally {
    cleanup(dir);
  }
});
