import assert from "node:assert/strict";
import { test } from "node:test";
import { assignSlots } from "./job-slots.js";

const span = (startMs: number, endMs: number) => ({ startMs, endMs, phases: [] });

test("a task takes the lowest slot free when it starts; no more slots than ran at once", () => {
  // a and b start at 0; c takes b's slot 2 as b ends at 4; e (9.5) takes slot 2 again (c ended at 9);
  // d (10) takes slot 1 as a ends; at 11, d and e still run, so f needs a third slot.
  const slots = assignSlots([span(0, 10), span(0, 4), span(4, 9), span(10, 12), span(9.5, 20), span(11, 13)]);
  assert.deepEqual(slots, [1, 2, 2, 1, 2, 3]);
});

test("spans listed out of order get the slots of their start order", () => {
  assert.deepEqual(assignSlots([span(5, 6), span(0, 5), span(1, 3)]), [1, 1, 2]);
  assert.deepEqual(assignSlots([]), []);
});
