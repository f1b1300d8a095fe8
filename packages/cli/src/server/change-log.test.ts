import assert from "node:assert/strict";
import { test } from "node:test";
import { ChangeLog } from "./change-log.js";

test("a token answers the paths changed after it, each once, and nothing older", () => {
  const log = new ChangeLog("i1");
  log.record("/r/a");
  const t1 = log.token();
  assert.deepEqual(log.since(t1).changed, []);
  log.record("/r/b");
  log.record("/r/a");
  log.record("/r/b");
  assert.deepEqual([...(log.since(t1).changed as string[])].sort(), ["/r/a", "/r/b"]);
  const t2 = log.since(t1).token;
  assert.deepEqual(log.since(t2).changed, []);
});

test("no token, another instance's token, a malformed or future token: unknown", () => {
  const log = new ChangeLog("i1");
  log.record("/r/a");
  assert.equal(log.since(undefined).changed, "unknown");
  assert.equal(log.since(null).changed, "unknown");
  assert.equal(log.since("i2:1").changed, "unknown");
  assert.equal(log.since("i1:x").changed, "unknown");
  assert.equal(log.since("i1:99").changed, "unknown");
  assert.deepEqual(log.since("i1:0").changed, ["/r/a"]);
});

test("a loss makes every earlier token unknown; the token it answers with works again", () => {
  const log = new ChangeLog("i1");
  const t0 = log.token();
  log.record("/r/a");
  log.lose("overflow");
  log.record("/r/b");
  const answer = log.since(t0);
  assert.equal(answer.changed, "unknown");
  log.record("/r/c");
  assert.deepEqual(log.since(answer.token).changed, ["/r/c"]);
  assert.deepEqual(log.losses, { overflow: 1 });
});

test("past the path limit the log forgets, and says so (unknown), never answers short", () => {
  const log = new ChangeLog("i1", 3);
  const t0 = log.token();
  for (const p of ["/a", "/b", "/c", "/d"]) log.record(p);
  assert.equal(log.since(t0).changed, "unknown");
  assert.deepEqual(log.losses, { "too-many-paths": 1 });
});
