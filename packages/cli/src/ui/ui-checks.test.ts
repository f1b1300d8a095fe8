import assert from "node:assert/strict";
import { test } from "node:test";
import { allowedHosts, newToken, tokenMatches } from "./ui-auth.js";
import { eventOf } from "./ui-events.js";
import { isPlainPath } from "./ui-file.js";

test("tokens: 32 random bytes; only the exact token matches", () => {
  const t = newToken();
  assert.match(t, /^[0-9a-f]{64}$/);
  assert.notEqual(newToken(), t);
  assert.ok(tokenMatches(t, t));
  for (const wrong of [undefined, "", t.slice(1), `${t}0`, t.toUpperCase(), "0".repeat(64)]) assert.ok(!tokenMatches(wrong, t), String(wrong));
});

test("hosts: the loopback address and localhost, with the port", () => {
  assert.deepEqual([...allowedHosts(8765)].sort(), ["127.0.0.1:8765", "localhost:8765"]);
});

test("plain paths: relative, no '..', '.', empty component, backslash or NUL", () => {
  for (const ok of ["out/a.csv", "a", "out/.hidden", "out/a..b"]) assert.ok(isPlainPath(ok), ok);
  for (const bad of ["", "/etc/passwd", "../x", "out/../../x", "out/..", "./a", "a//b", "a/", "a\\..\\b", "a\0b", "."]) assert.ok(!isPlainPath(bad), JSON.stringify(bad));
});

test("events: the lock is a build starting and ending, .flow/runs a run, project files files; the rest of .flow and the cache nothing", () => {
  const root = "/p";
  assert.equal(eventOf(root, "/p/.flow", "/p/.flow/lock", "create"), "build-start");
  assert.equal(eventOf(root, "/p/.flow", "/p/.flow/lock", "delete"), "build-end");
  assert.equal(eventOf(root, "/p/.flow", "/p/.flow/runs/3/summary.json", "create"), "runs");
  assert.equal(eventOf(root, "/p/.flow", "/p/out/a.csv", "update"), "files");
  assert.equal(eventOf(root, "/p/.flow", "/p/.flow/db/data.mdb", "update"), undefined);
  assert.equal(eventOf(root, "/p/cache", "/p/cache/blobs/ab/cd", "create"), undefined);
  assert.equal(eventOf(root, "/elsewhere", "/p/src/x.c", "update"), "files");
});
