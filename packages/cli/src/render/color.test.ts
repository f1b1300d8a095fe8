import assert from "node:assert/strict";
import { test } from "node:test";
import { colorModeInArgs, colorOn, loadPaint, parseColorMode, PLAIN, withoutColorOption } from "./color.js";

const tty = { isTTY: true };
const pipe = { isTTY: false };

test("auto: colour on a terminal only, never on a pipe, TERM=dumb or under CI", () => {
  assert.equal(colorOn("auto", tty, {}), true);
  assert.equal(colorOn("auto", pipe, {}), false);
  assert.equal(colorOn("auto", {}, {}), false, "a stream that says nothing is no terminal");
  assert.equal(colorOn("auto", tty, { TERM: "dumb" }), false);
  assert.equal(colorOn("auto", tty, { CI: "1" }), false);
  assert.equal(colorOn("auto", tty, { CI: "true" }), false);
  assert.equal(colorOn("auto", tty, { CI: "false" }), true, "CI=false is no CI");
  assert.equal(colorOn("auto", tty, { CI: "" }), true);
});

test("NO_COLOR non-empty turns colour off; empty is as if unset", () => {
  assert.equal(colorOn("auto", tty, { NO_COLOR: "1" }), false);
  assert.equal(colorOn("auto", tty, { NO_COLOR: "anything" }), false);
  assert.equal(colorOn("auto", tty, { NO_COLOR: "" }), true);
});

test("FORCE_COLOR: 0 or false is off, anything else on, even on a pipe, under CI and with NO_COLOR", () => {
  assert.equal(colorOn("auto", pipe, { FORCE_COLOR: "1" }), true);
  assert.equal(colorOn("auto", pipe, { FORCE_COLOR: "" }), true);
  assert.equal(colorOn("auto", tty, { FORCE_COLOR: "3", CI: "1", NO_COLOR: "1" }), true);
  assert.equal(colorOn("auto", tty, { FORCE_COLOR: "0" }), false);
  assert.equal(colorOn("auto", tty, { FORCE_COLOR: "false" }), false);
});

test("--color=always|never beats the environment and the stream", () => {
  assert.equal(colorOn("always", pipe, { NO_COLOR: "1", FORCE_COLOR: "0", CI: "1" }), true);
  assert.equal(colorOn("never", tty, { FORCE_COLOR: "1" }), false);
});

test("--color values: auto, always, never; absent is auto; anything else is refused", () => {
  assert.equal(parseColorMode(undefined), "auto");
  assert.equal(parseColorMode("always"), "always");
  assert.equal(parseColorMode("never"), "never");
  assert.equal(parseColorMode("auto"), "auto");
  assert.equal(parseColorMode("yes"), undefined);
});

test("the --color option among a command line's words, for help; none after --", () => {
  assert.equal(colorModeInArgs(["--help"]), "auto");
  assert.equal(colorModeInArgs(["--help", "--color=never"]), "never");
  assert.equal(colorModeInArgs(["build", "--color", "always", "all"]), "always");
  assert.equal(colorModeInArgs(["build", "--color=bogus"]), "auto");
  assert.equal(colorModeInArgs(["build", "--", "--color=always"]), "auto");
  assert.deepEqual(withoutColorOption(["--help", "--color", "never", "x", "--color=always", "--", "--color=never"]), ["--help", "x", "--", "--color=never"]);
});

test("the paint: words as they are when off, wrapped in SGR escapes when on", async () => {
  assert.equal(await loadPaint(false), PLAIN);
  assert.equal(PLAIN.failed("FAILED"), "FAILED");
  const on = await loadPaint(true);
  assert.equal(on.failed("FAILED"), "\x1b[1m\x1b[31mFAILED\x1b[39m\x1b[22m");
  assert.equal(on.ran("ran"), "\x1b[32mran\x1b[39m");
});
