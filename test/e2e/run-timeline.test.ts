// A run's timeline (docs/history.md): tasks.json's `spans` put each task that
// did work on a job slot, and `flow runs show N --timeline FILE` draws them as
// an SVG Gantt chart. A -j2 build of four 0.3 s recipes must use at most two
// slots, with no two spans of one slot overlapping and each span at least as
// long as its sleep; a record without spans (an older flow's) still shows,
// and says it has no timeline.
import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { buildJson, cleanup, flow, writeProject } from "./support.js";

const FLOWFILE = `
all: a b c d
a b c d:
\tsleep 0.3; echo $@ > $@
`;

type Span = readonly [number, number, number, number];
interface TasksJson {
  names: string[];
  status: string;
  spans?: Span[];
  jobs?: number;
}

const tasksJson = (dir: string, run: number) => JSON.parse(readFileSync(join(dir, ".flow", "runs", String(run), "tasks.json"), "utf8")) as TasksJson;

describe("a run's timeline", () => {
  let dir: string;
  before(() => {
    dir = writeProject({ Flowfile: FLOWFILE });
    assert.equal(buildJson(["-j2"], { cwd: dir }).code, 0);
    // Run 2: b is restored from the cache, nothing runs.
    rmSync(join(dir, "b"));
    assert.equal(buildJson(["-j2"], { cwd: dir }).code, 0);
  });
  after(() => cleanup(dir));

  test("-j2: every task that ran has a span on slot 1 or 2, no overlap within a slot, each as long as its sleep", () => {
    const t = tasksJson(dir, 1);
    assert.equal(t.jobs, 2);
    const spans = t.spans ?? assert.fail("no spans in tasks.json");
    assert.deepEqual(spans.map(([i]) => t.names[i]).sort(), ["a", "b", "c", "d"], "the four recipes, not the aggregate `all`");
    const run = JSON.parse(readFileSync(join(dir, ".flow", "runs", "1", "run.json"), "utf8")) as { start: number; end: number };
    for (const [i, start, end, slot] of spans) {
      assert.ok(slot === 1 || slot === 2, `${t.names[i]} on slot ${slot}`);
      assert.ok(end - start >= 290, `${t.names[i]} took ${end - start} ms, slept 300`);
      assert.ok(start >= 0 && end <= run.end - run.start, `${t.names[i]} within the run`);
    }
    for (const s of [1, 2]) {
      const inSlot = spans.filter(([, , , slot]) => slot === s).sort((x, y) => x[1] - y[1]);
      for (let k = 1; k < inSlot.length; k++) assert.ok((inSlot[k] as Span)[1] >= (inSlot[k - 1] as Span)[2], `overlap in slot ${s}: ${JSON.stringify(inSlot)}`);
    }
    // Two at a time: the four sleeps took about two sleeps' time, not four.
    const first = Math.min(...spans.map((s) => s[1]));
    const last = Math.max(...spans.map((s) => s[2]));
    assert.ok(last - first < 4 * 300, `the spans cover ${last - first} ms: they did not run two at a time`);
  });

  test("flow runs show N --timeline FILE draws one bar per task that did work, coloured by status", () => {
    const parse = (svg: string) => {
      assert.equal(XMLValidator.validate(svg), true, svg);
      const spans: Record<string, string>[] = [];
      const walk = (items: unknown) => {
        if (!Array.isArray(items)) return;
        for (const item of items as Record<string, unknown>[])
          for (const [k, v] of Object.entries(item)) {
            const attrs = (item[":@"] ?? {}) as Record<string, string>;
            if (k === "g" && attrs.class?.startsWith("span ")) spans.push(attrs);
            if (k !== ":@") walk(v);
          }
      };
      walk(new XMLParser({ preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: "" }).parse(svg));
      return spans.map((s) => `${s["data-task"]} ${s.class}`).sort();
    };
    const file = join(dir, "timeline.svg");
    const r = flow(["runs", "show", "1", "--timeline", file], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(parse(readFileSync(file, "utf8")), ["a span state-ran", "b span state-ran", "c span state-ran", "d span state-ran"]);
    const restored = flow(["runs", "show", "2", "--timeline", "-"], { cwd: dir });
    assert.equal(restored.code, 0, restored.stderr);
    assert.deepEqual(parse(restored.stdout), ["b span state-restored"]);
  });

  test("a record without spans (an older flow's) still shows, and has no timeline", () => {
    const path = join(dir, ".flow", "runs", "2", "tasks.json");
    const t = tasksJson(dir, 2);
    delete t.spans;
    delete t.jobs;
    writeFileSync(path, JSON.stringify(t));
    assert.equal(flow(["runs", "show", "2"], { cwd: dir }).code, 0);
    const r = flow(["runs", "show", "2", "--timeline", "-"], { cwd: dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^flow: error TIMELINE_NOT_RECORDED: run 2 has no timeline/);
  });
});
