// RELIABILITY 11: two tasks declaring the same output (also spelled `./a`,
// `x/../a`) are a validation error before anything runs: FLOW006, exit 2,
// whatever the goal, the command and the order of the rules, naming both
// declarations. Nothing runs and nothing is written.
import assert from "node:assert/strict";
import { test } from "node:test";
import { cleanup, flow, read, writeProject } from "../e2e/support.js";
import { treeSnapshot } from "./tree-snapshot.js";

// The case: `z` claims `y` with .OUTPUTS, and `y` has a rule of its own.
const CLAIM = "z: .OUTPUTS := y\nz:\n\techo z > y; touch z ran-z\n";
const OWN = "y:\n\techo y > y; touch ran-y\n";

/** Runs each command in a fresh project and checks the refusal; `where` are the Flowfile:LINE:COL both declarations must be named by. */
function refused(flowfile: string, commands: string[][], message: RegExp, where: string[]): void {
  for (const args of commands) {
    const dir = writeProject({ Flowfile: flowfile });
    try {
      const before = treeSnapshot(dir);
      const r = flow(args, { cwd: dir });
      const said = `flow ${args.join(" ")} on:\n${flowfile}\n${r.stdout}${r.stderr}`;
      assert.equal(r.code, 2, said);
      assert.match(r.stderr, /error FLOW006: /, said);
      assert.match(r.stderr, message, said);
      for (const w of where) assert.ok(r.stderr.includes(w), `${said}\ndoes not name ${w}`);
      assert.doesNotMatch(r.stdout + r.stderr, /\bran\b/, said);
      assert.deepEqual(treeSnapshot(dir), before, `${said}\nnothing may be run or written`);
    } finally {
      cleanup(dir);
    }
  }
}

test("RELIABILITY 11: an output claimed by .OUTPUTS and by a rule of its own, both orders, every goal and command", () => {
  // z first: `flow build` used to run z alone and drop y's recipe (exit 0).
  refused(`all: y\n${CLAIM}${OWN}.PHONY: all\n`, [["build"], ["build", "y"], ["status"]], /'y' is declared as an output of two tasks: 'y' \(Flowfile:5:1\) and \.OUTPUTS of 'z' \(Flowfile:2:1\)/, []);
  refused(`all: y\n${OWN}${CLAIM}.PHONY: all\n`, [["build"], ["build", "z"]], /'y' is declared as an output of two tasks: 'y' \(Flowfile:2:1\) and \.OUTPUTS of 'z' \(Flowfile:4:1\)/, ["Flowfile:4:1: error"]);
});

test("RELIABILITY 11: one path spelled a, ./a and x/../a by two rules is FLOW006, not a merge where the last recipe wins", () => {
  refused(
    "all: a\n./a:\n\techo 1 > a\nx/../a:\n\techo 2 > a\n.PHONY: all\n",
    [["build"]],
    /'a' is declared as an output of two tasks: '\.\/a' \(Flowfile:2:1\) and 'x\/\.\.\/a' \(Flowfile:4:1\)/,
    ["Flowfile:4:1: error", "hint: each file is made by one task: keep one recipe for 'a'"],
  );
  refused("out: .OUTPUTS := ./sub/../a\nout:\n\ttouch out a\na:\n\ttouch a\n", [["build", "out"]], /'a' is declared as an output of two tasks: 'a' \(Flowfile:4:1\) and \.OUTPUTS of 'out' \(Flowfile:1:1\)/, []);
});

test("RELIABILITY 11: grouped targets sharing a file with another rule, either order, whichever is asked for", () => {
  const one = "a b &:\n\ttouch a b\n";
  const two = "b c:\n\ttouch b c\n";
  refused(`${one}${two}`, [["build", "c"]], /'b' is declared as an output of two tasks: 'b' \(Flowfile:1:3\) and 'b' \(Flowfile:3:1\)/, []);
  refused(`${two}${one}`, [["build", "a"]], /'b' is declared as an output of two tasks: 'b' \(Flowfile:1:1\) and 'b' \(Flowfile:3:3\)/, []);
});

test("RELIABILITY 11: several rules for one target with one recipe among them stay legal (Make's extra prerequisites)", () => {
  const dir = writeProject({ Flowfile: "all: out\nout: x\nout: y\n\tcat $^ > $@\nout: z\n.PHONY: all\n", x: "x\n", y: "y\n", z: "z\n" });
  try {
    const r = flow(["build"], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /FLOW0/);
    assert.equal(read(dir, "out"), "y\nx\nz\n", "the recipe's rule lists its prerequisites first");
  } finally {
    cleanup(dir);
  }
});
