import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { addressSpaceUnlimited } from "./lmdb-map-size.js";

// /proc/self/limits as Linux prints it (columns: soft, hard, units).
const limits = (soft: string, hard: string) =>
  ["Limit                     Soft Limit           Hard Limit           Units     ", "Max data size             unlimited            unlimited            bytes     ", `Max address space         ${soft.padEnd(21)}${hard.padEnd(21)}bytes     `, "Max file locks            unlimited            unlimited            locks     ", ""].join("\n");

describe("addressSpaceUnlimited", () => {
  test("unlimited address space: the env maps its whole size at once", () => {
    assert.equal(addressSpaceUnlimited(limits("unlimited", "unlimited")), true);
  });
  test("a soft limit (ulimit -v) keeps lmdb-js's growing map, which a 64 GiB map would crash past", () => {
    assert.equal(addressSpaceUnlimited(limits("17179869184", "unlimited")), false);
  });
  test("no /proc (not Linux) or no such line: the limit is unknown, so not unlimited", () => {
    assert.equal(addressSpaceUnlimited(undefined), false);
    assert.equal(addressSpaceUnlimited("Limit Soft Hard Units\n"), false);
  });
});
