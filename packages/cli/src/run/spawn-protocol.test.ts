import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeReply, encodeReply, LineSplitter, type HelperReply } from "./spawn-protocol.js";

test("every reply survives encode then decode, one line each", () => {
  const replies: HelperReply[] = [
    { t: "ready", pid: 4242 },
    { t: "started", id: 7, pid: 4300 },
    { t: "exit", id: 7, code: 0, signal: null, logged: false },
    { t: "exit", id: 8, code: null, signal: "SIGKILL", logged: true },
    { t: "error", id: 9, message: "could not open the log /tmp/a b/\"x\"\nnext: ENOTDIR" },
  ];
  for (const r of replies) {
    const line = encodeReply(r);
    assert.equal(line.indexOf("\n"), line.length - 1, `one line: ${JSON.stringify(line)}`);
    assert.deepEqual(decodeReply(line.slice(0, -1)), r);
  }
  assert.equal(encodeReply({ t: "exit", id: 3, code: 2, signal: null, logged: true }), "x 3 2 - 1\n");
});

test("a reply the helper cannot have written is a thrown error", () => {
  assert.throws(() => decodeReply("{\"t\":\"exit\"}"), /unexpected reply/);
});

test("LineSplitter: lines split across chunks, several per chunk, empty lines dropped", () => {
  const lines: string[] = [];
  const s = new LineSplitter();
  for (const chunk of ["x 1 0", " -\ns 2 ", "99\n\nx 2", " - SIGTERM\n", "r 5"]) s.push(chunk, (l) => lines.push(l));
  assert.deepEqual(lines, ["x 1 0 -", "s 2 99", "x 2 - SIGTERM"]);
  s.push("\n", (l) => lines.push(l));
  assert.deepEqual(lines.at(-1), "r 5");
});
