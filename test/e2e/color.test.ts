// Colour and escapes on pipes (docs/output-live.md): piped and CI output is
// plain text, failures included; --color=always and FORCE_COLOR colour it
// anyway, --color=never beats FORCE_COLOR; help and usage errors follow the
// same rule.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { cleanup, flow, writeProject } from "./support.js";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) cleanup(d);
});

/** A build that says much: a task that ran, a failure with its log, a warning, the summary. */
function project(): string {
  const dir = writeProject({
    Flowfile: ["all: good bad", "good:", "\techo good > $@", "bad:", "\techo 'something broke' >&2; exit 3", ""].join("\n"),
  });
  dirs.push(dir);
  return dir;
}

/** The environment with no say in colour, plus `env`. */
function envWith(env: Record<string, string>): NodeJS.ProcessEnv {
  return { CI: undefined, NO_COLOR: undefined, FORCE_COLOR: undefined, ...env };
}

const ESC = "\x1b";

test("piped output, and CI output, holds no escape even with a failure", () => {
  for (const env of [{}, { CI: "1", TERM: "xterm-256color" }] as Record<string, string>[]) {
    const r = flow(["build", "-k", "-j1"], { cwd: project(), env: envWith(env) });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /FAILED +bad/);
    assert.match(r.stdout, /something broke/);
    assert.match(r.stdout, /flow: build failed/);
    assert.equal(r.stdout.includes(ESC) || r.stderr.includes(ESC), false, `${JSON.stringify(env)}:\n${JSON.stringify(r.stdout)}\n${JSON.stringify(r.stderr)}`);
  }
});

test("--color=always colours a pipe; --color=never beats FORCE_COLOR", () => {
  const always = flow(["build", "-k", "-j1", "--color=always"], { cwd: project(), env: envWith({ NO_COLOR: "1" }) });
  assert.match(always.stdout, /\x1b\[1m\x1b\[31mFAILED\x1b\[39m\x1b\[22m {4}bad/); // eslint-disable-line no-control-regex -- the escapes are the point
  assert.match(always.stdout, /\x1b\[32mran\x1b\[39m {7}good/); // eslint-disable-line no-control-regex
  const never = flow(["build", "-k", "-j1", "--color", "never"], { cwd: project(), env: envWith({ FORCE_COLOR: "1" }) });
  assert.equal(never.stdout.includes(ESC), false, never.stdout);
  // Colour is painted words only: the live display needs a terminal, whatever --color says.
  assert.doesNotMatch(always.stdout, /running|ETA/);
});

test("a --color value that is none of auto, always, never is a usage error", () => {
  const r = flow(["build", "--color=sometimes"], { cwd: project(), env: envWith({}) });
  assert.equal(r.code, 2);
  assert.equal(r.stderr, "flow: --color takes auto, always or never, got sometimes\n");
});

test("help and usage errors on a pipe hold no escape; --color=always and FORCE_COLOR colour them", () => {
  const cwd = project();
  // TERM says the terminal type could show colour: clipanion alone coloured help by it, even into a pipe.
  const env = envWith({ TERM: "xterm-256color" });
  for (const args of [["--help"], ["build", "--help"]]) {
    const r = flow(args, { cwd, env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /flow/);
    assert.equal(r.stdout.includes(ESC), false, `${args.join(" ")}:\n${JSON.stringify(r.stdout.slice(0, 200))}`);
  }
  const usage = flow(["build", "--no-such-option"], { cwd, env });
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /Unsupported option name \("--no-such-option"\)/);
  assert.equal(usage.stderr.includes(ESC), false, JSON.stringify(usage.stderr.slice(0, 200)));

  const colourful = flow(["--help", "--color=always"], { cwd, env });
  assert.equal(colourful.code, 0, colourful.stderr);
  assert.ok(colourful.stdout.includes(`${ESC}[1m`), colourful.stdout.slice(0, 200));
  const forced = flow(["build", "--no-such-option"], { cwd, env: envWith({ FORCE_COLOR: "1" }) });
  assert.ok(forced.stderr.includes(`${ESC}[31m`), forced.stderr.slice(0, 200));
  const never = flow(["build", "--help", "--color=never"], { cwd, env: envWith({ FORCE_COLOR: "1" }) });
  assert.equal(never.stdout.includes(ESC), false, "--color=never beats FORCE_COLOR in help too");
});
