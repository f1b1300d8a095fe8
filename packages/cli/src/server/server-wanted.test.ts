import assert from "node:assert/strict";
import { test } from "node:test";
import { serverWanted } from "./server-wanted.js";

test("--server or FLOW_SERVER=1 asks for the server; FLOW_SERVER=0, empty or unset leaves it to the option", () => {
  assert.equal(serverWanted(true, {}), true);
  assert.equal(serverWanted(false, {}), false);
  assert.equal(serverWanted(false, { FLOW_SERVER: "1" }), true);
  assert.equal(serverWanted(false, { FLOW_SERVER: "0" }), false);
  assert.equal(serverWanted(false, { FLOW_SERVER: "" }), false);
  assert.equal(serverWanted(false, { FLOW_SERVER: "false" }), false);
  assert.equal(serverWanted(true, { FLOW_SERVER: "0" }), true);
});
