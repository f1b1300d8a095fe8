// flow ui in a real browser: Debian's chromium driven by playwright-core,
// on a copy of recipes/parameter-sweep with tags added. One server and one
// browser for the whole file; each step waits on a condition, never a sleep.
// The page must show each task's state as `flow status --plan json` has it,
// expand a collapsed fan-out, show a log, preview a CSV product as a table,
// filter by a tag, delete a tag's outputs after a confirmation (and only
// them), and follow a build run in another process without a reload.
import assert from "node:assert/strict";
import { appendFileSync, existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { ensureDebianTool, runs } from "./debian-tool.js";
import { cleanup, copyRecipe, flow, flowAsync } from "./support.js";
import { startUi, type RunningUi } from "./ui-support.js";

// What the functions run in the page see (the test is compiled without the DOM's types).
declare const document: { body: { dataset: Record<string, string | undefined> } };
declare const window: Record<string, unknown>;

const CHROMIUM = "/usr/bin/chromium";
const have = ensureDebianTool("chromium", () => existsSync(CHROMIUM) && runs(CHROMIUM, ["--version"]));

/** The arguments that keep chromium from reaching the network or the user's profile. */
export const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

interface PlanTask {
  name: string;
  state: string;
}

describe("flow ui in chromium", { skip: have.ok ? false : `chromium is needed: ${have.ok ? "" : have.why}` }, () => {
  let dir: string;
  let profile: string;
  let ui: RunningUi;
  let browser: BrowserContext;
  let page: Page;

  before(async () => {
    dir = copyRecipe("parameter-sweep");
    // Tags, and a task that prints (so that it has a log).
    appendFileSync(
      join(dir, "Flowfile"),
      [
        "",
        "out/split/%.csv: .TAGS := split",
        "all: out/summary.json",
        "out/summary.json: out/metrics.txt",
        '\t@echo "summarizing out/metrics.txt"',
        "\tprintf '{\"metrics\": \"%s\"}\\n' \"$$(head -n 1 out/metrics.txt)\" > $@",
        "out/summary.json: .TAGS := report",
        "",
      ].join("\n"),
    );
    const built = flow(["build"], { cwd: dir });
    assert.equal(built.code, 0, built.stderr);
    // An edit: evaluate.awk's task is stale, what follows it waits.
    appendFileSync(join(dir, "scripts", "evaluate.awk"), "# edited\n");
    profile = mkdtempSync(join(tmpdir(), "flow-ui-chromium-"));
    // A fresh profile of our own (playwright passes it as --user-data-dir).
    [ui, browser] = await Promise.all([startUi(dir), chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, viewport: { width: 1400, height: 900 } })]);
    page = browser.pages()[0] ?? (await browser.newPage());
    await page.goto(ui.url);
    await page.waitForSelector("#graph g.node");
  });
  after(async () => {
    await browser?.close();
    if (ui) assert.equal((await ui.stop()).code, 0);
    cleanup(profile);
    cleanup(join(dir, ".."));
  });

  test("the token left the address bar", () => {
    assert.equal(new URL(page.url()).search, "");
  });

  test("the graph shows each task's state as flow status --plan json does; a fan-out expands on a click", async () => {
    const status = flow(["status", "--plan", "json"], { cwd: dir });
    const tasks = (JSON.parse(status.stdout) as { tasks: PlanTask[] }).tasks;
    assert.ok(tasks.some((t) => t.state === "stale") && tasks.some((t) => t.state === "waiting") && tasks.some((t) => t.state === "fresh"));
    const nodes = await nodeStates(page);
    for (const t of tasks) {
      const own = nodes.get(`t:${t.name}`);
      if (own !== undefined) assert.equal(own, t.state, t.name);
    }
    // out/split/train.csv and test.csv are one collapsed node; a click shows each.
    assert.equal(nodes.get("t:out/split/train.csv"), undefined);
    const group = page.locator('#graph g.node[data-group="1"]').first();
    await group.click();
    await page.waitForSelector('#graph g.node[data-node="t:out/split/train.csv"]');
    const expanded = await nodeStates(page);
    for (const t of tasks) assert.equal(expanded.get(`t:${t.name}`), t.state, t.name);
  });

  test("a task's log", async () => {
    await page.click('#graph g.node[data-node="t:out/summary.json"]');
    await page.click("#log button");
    const log = await page.waitForSelector("#log pre.log");
    assert.match(await log.textContent() ?? "", /summarizing out\/metrics\.txt/);
  });

  test("a CSV product previewed as a table", async () => {
    await page.click('#graph g.node[data-node="t:out/scores.csv"]');
    await page.click('#outputs li[data-path="out/scores.csv"] .preview-btn');
    await page.waitForSelector('#outputs li[data-path="out/scores.csv"] table');
    const head = await page.locator('#outputs li[data-path="out/scores.csv"] table th').allTextContents();
    assert.deepEqual(head, ["label", "probability"]);
    const rows = await page.locator('#outputs li[data-path="out/scores.csv"] table tbody tr').count();
    assert.ok(rows >= 10, `${rows} rows`);
  });

  test("filter by a tag: the graph and the products show only its tasks", async () => {
    const before = await refreshed(page);
    await page.selectOption("#tag", "split");
    await page.waitForFunction((n) => Number(document.body.dataset["refreshed"]) > n, before);
    const products = await page.locator("#products tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-path")));
    assert.deepEqual(products.sort(), ["out/split/test.csv", "out/split/train.csv"]);
    const ids = [...(await nodeStates(page)).keys()];
    assert.ok(ids.length > 0);
    assert.ok(!ids.includes("t:out/data.csv") && !ids.includes("t:out/model.txt"), ids.join(" "));
  });

  test("delete a tag's outputs: a confirmation lists them, then they are gone and nothing else is", async () => {
    await page.click("#delete-tag");
    await page.waitForSelector("#confirm:not([hidden]) #confirm-list li");
    const listed = await page.locator("#confirm-list li").allTextContents();
    assert.ok(listed.includes("out/split/train.csv") && listed.includes("out/split/test.csv"), listed.join(" "));
    assert.ok(existsSync(join(dir, "out/split/train.csv")), "deleted before the confirmation");
    await page.click("#confirm-yes");
    await page.waitForSelector("#confirm", { state: "hidden" });
    assert.ok(!existsSync(join(dir, "out/split/train.csv")) && !existsSync(join(dir, "out/split/test.csv")));
    for (const kept of ["out/data.csv", "out/model.txt", "out/scores.csv", "out/report.md"]) assert.ok(existsSync(join(dir, kept)), kept);
  });

  test("a build in another process updates the page without a reload", async () => {
    await page.selectOption("#tag", "");
    await page.waitForSelector('#graph g.node[data-node="t:out/metrics.txt"].state-stale');
    await page.evaluate(() => Object.assign(window, { notReloaded: true }));
    const build = flowAsync(["build"], { cwd: dir });
    await page.waitForSelector('#graph g.node[data-node="t:out/metrics.txt"].state-fresh', { timeout: 30_000 });
    await page.waitForSelector('#graph g.node[data-node="t:out/summary.json"].state-fresh', { timeout: 30_000 });
    assert.equal((await build.done).code, 0);
    assert.equal(await page.evaluate(() => window["notReloaded"]), true);
    assert.ok(existsSync(join(dir, "out/split/train.csv")), "the build restored the deleted outputs");
  });

  test("an output's versions in the cache, each with its key and the run that made it", async () => {
    await page.click('#graph g.node[data-node="t:out/metrics.txt"]');
    await page.click('#outputs li[data-path="out/metrics.txt"] .versions-btn');
    await page.waitForSelector('#outputs li[data-path="out/metrics.txt"] table.versions tbody tr');
    const rows = await page.locator('#outputs li[data-path="out/metrics.txt"] table.versions tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent ?? "")));
    // Built before the edit (run 1) and by the build above (run 2): newest first.
    assert.deepEqual(rows.map((r) => r[1]), ["2", "1"]);
    for (const r of rows) assert.match(r[3] ?? "", /^[0-9a-f]{16}$/);
  });

  test("colour by a run's results", async () => {
    await page.selectOption("#colour", "2");
    await page.waitForSelector('#graph g.node[data-node="t:out/metrics.txt"].state-ran');
    await page.waitForSelector('#graph g.node[data-node="t:out/data.csv"].state-up-to-date');
  });

  test("a Flowfile broken while the page is open: the page shows the CLI's error text", async () => {
    appendFileSync(join(dir, "Flowfile"), "$(error the sweep is misconfigured)\n");
    const cli = flow(["status"], { cwd: dir }).stderr.trim();
    assert.match(cli, /^Flowfile:\d+:1: error FLOW013: the sweep is misconfigured/);
    await page.waitForSelector("#error:not([hidden])");
    assert.equal((await page.textContent("#error"))?.trim(), cli);
  });
});

/** Each drawn node's id and state (its `state-*` class). */
async function nodeStates(page: Page): Promise<Map<string, string>> {
  const pairs = await page.locator("#graph g.node").evaluateAll((gs) =>
    gs.map((g) => [g.getAttribute("data-node") ?? "", [...g.classList].find((c) => c.startsWith("state-"))?.slice("state-".length) ?? ""]),
  );
  return new Map(pairs as [string, string][]);
}

async function refreshed(page: Page): Promise<number> {
  return page.evaluate(() => Number(document.body.dataset["refreshed"] ?? 0));
}
