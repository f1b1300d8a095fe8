import assert from "node:assert/strict";
import { test } from "node:test";
import { makeStyleArgs } from "./make-style-args.js";
import { parseMakeflags } from "../run/makeflags.js";

test("make's -j8, -Cdir and -fFILE are split; everything else, and all after --, is left as it is", () => {
  assert.deepEqual(makeStyleArgs(["build", "-j8", "-Crecipes/hello", "-fMakefile", "all"]), ["build", "--jobs=8", "-C", "recipes/hello", "-f", "Makefile", "all"]);
  assert.deepEqual(makeStyleArgs(["build", "-j", "2", "-k", "-v", "X=-j3"]), ["build", "--jobs=2", "-k", "-v", "X=-j3"]);
  assert.deepEqual(makeStyleArgs(["build", "-jx"]), ["build", "-jx"], "not a number: clipanion's error says what is wrong");
  assert.deepEqual(makeStyleArgs(["build", "--", "-j4"]), ["build", "--", "-j4"]);
});

test("bundled short flags are split as make reads them; -j and -l without a number mean no limit", () => {
  assert.deepEqual(makeStyleArgs(["build", "-kj2"]), ["build", "-k", "--jobs=2"]);
  assert.deepEqual(makeStyleArgs(["build", "-sj4", "all"]), ["build", "-s", "--jobs=4", "all"]);
  assert.deepEqual(makeStyleArgs(["build", "-kj", "all"]), ["build", "-k", "--jobs=unlimited", "all"]);
  assert.deepEqual(makeStyleArgs(["build", "-j"]), ["build", "--jobs=unlimited"]);
  assert.deepEqual(makeStyleArgs(["build", "--jobs", "all"]), ["build", "--jobs=unlimited", "all"]);
  assert.deepEqual(makeStyleArgs(["build", "-l2.5", "-l", "3", "-l"]), ["build", "--load-average=2.5", "--load-average=3", "--load-average=unlimited"]);
  assert.deepEqual(makeStyleArgs(["build", "-nBs", "-kCsub"]), ["build", "-n", "-B", "-s", "-k", "-C", "sub"]);
  assert.deepEqual(makeStyleArgs(["build", "-kx"]), ["build", "-kx"], "an unknown letter: left for clipanion to name");
});

test("no command word builds, as make does; help, version and -V are help and the version", () => {
  assert.deepEqual(makeStyleArgs([]), ["build"]);
  assert.deepEqual(makeStyleArgs(["all", "CFLAGS=-O0"]), ["build", "all", "CFLAGS=-O0"]);
  assert.deepEqual(makeStyleArgs(["-kj2", "all"]), ["build", "-k", "--jobs=2", "all"]);
  assert.deepEqual(makeStyleArgs(["--help"]), ["--help"]);
  assert.deepEqual(makeStyleArgs(["-h"]), ["-h"]);
  assert.deepEqual(makeStyleArgs(["help"]), ["--help"]);
  assert.deepEqual(makeStyleArgs(["help", "build"]), ["build", "--help"]);
  assert.deepEqual(makeStyleArgs(["version"]), ["--version"]);
  assert.deepEqual(makeStyleArgs(["-V"]), ["--version"]);
  assert.deepEqual(makeStyleArgs(["status", "-j"]), ["status", "--jobs=unlimited"]);
  assert.deepEqual(makeStyleArgs(["clean", "-n"]), ["clean", "-n"]);
});

test("MAKEFLAGS: a bare letter bundle, dashed bundles, -jN, long options and variables after --", () => {
  const a = parseMakeflags("ks -j2 --jobserver-auth=fifo:/tmp/GMfifo1 -- CFLAGS=-O2 X=a\\ b");
  assert.deepEqual([...a.letters].sort(), ["k", "s"]);
  assert.equal(a.jobs, 2);
  assert.equal(a.jobserverAuth, "fifo:/tmp/GMfifo1");
  assert.deepEqual(a.variables, [["CFLAGS", "-O2"], ["X", "a b"]]);
  const b = parseMakeflags(" -ks -l2.5 --no-print-directory");
  assert.deepEqual([...b.letters].sort(), ["k", "s"]);
  assert.equal(b.loadAverage, 2.5);
  assert.equal(b.long.get("no-print-directory"), "");
  assert.equal(parseMakeflags("-j").jobs, "unlimited");
  assert.equal(parseMakeflags("rR").letters.has("r"), true);
  assert.equal(parseMakeflags("--jobserver-fds=3,4 -j4").jobserverAuth, "3,4");
  const none = parseMakeflags(undefined);
  assert.equal(none.letters.size, 0);
  assert.equal(none.jobs, undefined);
  assert.deepEqual(none.variables, []);
});

test("`server start|stop|status` is the server command; `server` alone is a target, as make reads it", () => {
  assert.deepEqual(makeStyleArgs(["server", "start", "-C", "d"]), ["server", "start", "-C", "d"]);
  assert.deepEqual(makeStyleArgs(["server", "status"]), ["server", "status"]);
  assert.deepEqual(makeStyleArgs(["server", "--help"]), ["server", "--help"]);
  assert.deepEqual(makeStyleArgs(["server"]), ["build", "server"]);
  assert.deepEqual(makeStyleArgs(["server", "all"]), ["build", "server", "all"]);
});
