// The live display, read off a real terminal (tmux): while tasks run, each
// running task and done/total are on screen before any task has ended; at
// the end the display is gone and the summary is the last line. Colour on
// that terminal follows NO_COLOR, and CI=1 writes no escape at all.
// (docs/output-live.md)
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { cleanup, writeProject } from "./support.js";
import { findTmux, flowCommand, TmuxPane } from "./tmux-support.js";

const TASKS = ["t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8"];

/** Eight tasks whose recipes wait until the test creates `release`: nothing ends before the test says so. */
function gatedProject(): string {
  return writeProject({
    Flowfile: ["t%:", "\twhile [ ! -e release ]; do sleep 0.05; done", "\techo $@ > $@", ""].join("\n"),
  });
}

/** One task that fails with a line in its log, one that succeeds. */
function failingProject(): string {
  return writeProject({
    Flowfile: ["all: good bad", "good:", "\techo good > $@", "bad:", "\techo 'something broke' >&2; exit 3", ""].join("\n"),
  });
}

const tmux = findTmux();

describe("live display on a terminal", { skip: tmux.ok ? false : tmux.why }, () => {
  const dirs: string[] = [];
  const panes: TmuxPane[] = [];
  const pane = (...args: ConstructorParameters<typeof TmuxPane>) => {
    const p = new TmuxPane(...args);
    panes.push(p);
    return p;
  };
  after(() => {
    for (const p of panes) p.kill();
    for (const d of dirs) cleanup(d);
  });

  test("running tasks, done/total and an ETA are on screen before the first task ends; at the end only the lines and the summary stay", async () => {
    const dir = gatedProject();
    dirs.push(dir);
    // Durations an earlier run recorded (history/durations.ts): the ETA is made of them.
    mkdirSync(join(dir, ".flow", "runs"), { recursive: true });
    writeFileSync(join(dir, ".flow", "runs", "durations.json"), JSON.stringify({ version: 1, tasks: Object.fromEntries(TASKS.map((t) => [t, 4000])) }));
    const p = pane(dir, flowCommand(["build", "-j2", ...TASKS]));

    const running = (s: string) => [...s.matchAll(/^ {2}running {3}(t[1-8]) \([0-9.]+s\)$/gm)].map((m) => m[1]);
    const live = await p.waitForScreen((s) => running(s).length === 2 && /0\/8 done/.test(s), "two running tasks and 0/8 on screen");
    assert.match(live, /^ {2}\[\.{20}\] 0\/8 done, 0 restored, 0 failed, 2 running, ETA \d+s$/m, live);
    // 8 tasks of 4 s on 2 slots, none ended: 16 s less what the two running have done, and at least
    // the 6 waiting ones' 24 s over 2 slots, however slow the machine.
    const eta = Number(/ETA (\d+)s/.exec(live)?.[1]);
    assert.ok(eta >= 12 && eta <= 16, `ETA ${eta}s:\n${live}`);
    assert.equal(new Set(running(live)).size, 2, live);
    for (const t of TASKS) assert.equal(existsSync(join(dir, t)), false, `${t} has not ended yet`);
    // Elapsed times move on the timer's redraws, with no event in between.
    const firstTimes = /running {3}t\d \(([0-9.]+)s\)/.exec(live)?.[1];
    await p.waitForScreen((s) => /running {3}t\d \(([0-9.]+)s\)/.exec(s)?.[1] !== firstTimes, "the elapsed time to move");

    writeFileSync(join(dir, "release"), "");
    assert.equal(await p.exitCode(), 0);
    const end = p.screen();
    const lines = end.split("\n").filter((l) => l.trim() !== "");
    assert.match(lines.at(-1) ?? "", /^flow: done: 8 ran \([0-9.]+s\)$/, end);
    assert.deepEqual(lines.slice(0, -1).map((l) => /^ {2}ran {7}(t[1-8]) \(/.exec(l)?.[1]).sort(), TASKS, end);
    assert.doesNotMatch(end, /running|done,|ETA/, "the live area is cleared at the end");
  });

  test("colour on a terminal, none with NO_COLOR=1, and not one escape with CI=1", async () => {
    const runs: Record<string, string> = {};
    for (const [name, env] of [
      ["default", {}],
      ["NO_COLOR", { NO_COLOR: "1" }],
      ["CI", { CI: "1" }],
    ] as const) {
      const dir = failingProject();
      dirs.push(dir);
      const p = pane(dir, flowCommand(["build", "-k", "-j1"]), { env, waitFor: "go" });
      const raw = join(dir, "raw");
      p.pipeTo(raw);
      writeFileSync(join(dir, "go"), "");
      assert.equal(await p.exitCode(), 1, p.screen());
      await p.waitForScreen((s) => /flow: build failed/.test(s), "the summary");
      // pipe-pane's cat may still be writing what it read.
      for (let i = 0; i < 50 && !/build failed/.test(existsSync(raw) ? readFileSync(raw, "utf8") : ""); i++) await new Promise((r) => setTimeout(r, 100));
      runs[name] = readFileSync(raw, "utf8");
      assert.match(runs[name] as string, /FAILED.*bad/, runs[name]);
      assert.match(runs[name] as string, /something broke/, runs[name]);
    }
    // SGR colour escapes (ESC [ ... m); log-update's cursor moves are ESC [ ... other letters.
    const sgr = /\x1b\[[0-9;]*m/; // eslint-disable-line no-control-regex -- escapes are what is checked
    assert.match(runs["default"] as string, /\x1b\[1m\x1b\[31mFAILED/, "FAILED is bold red on a terminal"); // eslint-disable-line no-control-regex
    assert.doesNotMatch(runs["NO_COLOR"] as string, sgr, "NO_COLOR: no colour");
    assert.equal((runs["CI"] as string).includes("\x1b"), false, `CI=1: plain lines, no escape at all:\n${JSON.stringify(runs["CI"])}`);
  });
});
