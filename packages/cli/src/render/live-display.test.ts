import assert from "node:assert/strict";
import { test } from "node:test";
import type { BuildEvent, Decision, Task } from "@flow/graph";
import { LiveDisplay } from "./live-display.js";
import { PLAIN } from "./color.js";
import { TextRenderer } from "./render.js";

/** A terminal that keeps what was written; not a TTY, so log-update adds no synchronized-output marks. */
function fakeTerminal() {
  const chunks: string[] = [];
  return { chunks, columns: 80, rows: 24, write: (s: string) => void chunks.push(s), text: () => chunks.join("") };
}

const task = (name: string) => ({ id: 0, name, phony: false, deps: [], outputs: [], recipe: "true", loc: { file: "Flowfile", line: 1, col: 1 } }) as unknown as Task;

test("events only change counters; the frame is drawn by redraw (the timer's), and lines wait for it above the frame", () => {
  const term = fakeTerminal();
  let now = 0;
  const live = new LiveDisplay(term, PLAIN, () => now);
  const renderer = new TextRenderer(live.output, "/", false);
  const emit = (e: BuildEvent) => {
    live.observe(e);
    renderer.handle(e);
  };
  try {
    emit({ type: "build-start", total: 2, concurrency: 2 });
    emit({ type: "task-start", task: task("a"), decision: {} as Decision });
    emit({ type: "task-start", task: task("b"), decision: {} as Decision });
    assert.equal(term.text(), "", "nothing is written per event");
    now = 1500;
    live.redraw();
    assert.equal(term.text(), "  running   a (1.5s)\n  running   b (1.5s)\n  [....................] 0/2 done, 0 restored, 0 failed, 2 running\n");
    emit({ type: "task-end", task: task("a"), result: { status: "ran", durationMs: 1500 } });
    assert.equal(term.chunks.length, 1, "the ended task's line waits for the next frame");
    term.chunks.length = 0;
    now = 2000;
    live.redraw();
    const frame = term.text();
    // The old frame is erased (log-update's cursor-up and erase-line), the line written, the new frame drawn.
    // eslint-disable-next-line no-control-regex -- log-update's escapes are what is checked
    assert.match(frame, /^(\x1b\[2K\x1b\[1A)+\x1b\[2K\x1b\[G {2}ran {7}a \(1\.50s\)\n {2}running {3}b \(2\.0s\)\n {2}\[#{10}\.{10}\] 1\/2 done/);
    term.chunks.length = 0;
    emit({ type: "task-end", task: task("b"), result: { status: "ran", durationMs: 2000 } });
    emit({ type: "build-end", ok: true, durationMs: 2000 });
    // At the end the frame is cleared and the summary is the last thing written, below the tasks' lines.
    const end = term.text();
    // eslint-disable-next-line no-control-regex -- log-update's escapes are what is checked
    assert.match(end, /^(\x1b\[2K\x1b\[1A)+\x1b\[2K\x1b\[G {2}ran {7}b \(2\.00s\)\nflow: done: 2 ran \(2\.00s\)\n$/);
    term.chunks.length = 0;
    renderer.note("after the build");
    assert.equal(term.text(), "after the build\n", "after the end, lines go straight through");
  } finally {
    live.stop();
  }
});

test("a build too short for a frame writes its lines and nothing else", () => {
  const term = fakeTerminal();
  const live = new LiveDisplay(term, PLAIN, () => 0);
  const renderer = new TextRenderer(live.output, "/", false);
  for (const e of [
    { type: "build-start", total: 1, concurrency: 1 },
    { type: "task-end", task: task("a"), result: { status: "ran", durationMs: 10 } },
    { type: "build-end", ok: true, durationMs: 20 },
  ] as BuildEvent[]) {
    live.observe(e);
    renderer.handle(e);
  }
  live.stop();
  assert.equal(term.text(), "  ran       a (0.01s)\nflow: done: 1 ran (0.02s)\n");
});
