#!/usr/bin/env node
// Makes docs/ui-graph.png, docs/ui-timeline.png and docs/ui-product.png:
// flow ui on a copy of recipes/parameter-sweep (tags added, built at -j2,
// then one script edited so the plan has stale and waiting tasks), shot with
// Debian's chromium through playwright-core, as the browser tests drive it.
//   npm run build && node scripts/ui-screenshots.mjs
import { spawn, spawnSync } from "node:child_process";
import { appendFileSync, cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
const flowBin = join(repo, "packages", "cli", "bin", "flow.js");
const work = mkdtempSync(join(tmpdir(), "flow-ui-shots-"));
const dir = join(work, "parameter-sweep");
cpSync(join(repo, "recipes", "parameter-sweep"), dir, { recursive: true, filter: (src) => !/[/\\](\.flow|out)([/\\]|$)/.test(src) });
appendFileSync(
  join(dir, "Flowfile"),
  ["", "out/split/%.csv: .TAGS := split", "out/report.md out/metrics.txt: .TAGS := report", ""].join("\n"),
);
const flow = (...args) => {
  const r = spawnSync(process.execPath, ["--no-concurrent-recompilation", flowBin, ...args], { cwd: dir, encoding: "utf8" });
  if (r.status !== 0 && r.status !== 1) throw new Error(`flow ${args.join(" ")}: ${r.stderr}`);
};
flow("build", "-j3");
flow("build", "-j2", "THRESHOLD=0.7");
appendFileSync(join(dir, "scripts", "train.awk"), "# tuned\n");

const ui = spawn(process.execPath, ["--no-concurrent-recompilation", flowBin, "ui"], { cwd: dir, stdio: ["ignore", "pipe", "inherit"] });
const url = await new Promise((resolve) => {
  let out = "";
  ui.stdout.on("data", (d) => {
    out += d;
    const m = /flow ui: (\S+)\n/.exec(out);
    if (m) resolve(m[1]);
  });
});
const profile = mkdtempSync(join(tmpdir(), "flow-ui-shots-profile-"));
const args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const browser = await chromium.launchPersistentContext(profile, { executablePath: "/usr/bin/chromium", args, viewport: { width: 1360, height: 820 }, deviceScaleFactor: 1 });
try {
  const page = browser.pages()[0] ?? (await browser.newPage());
  await page.goto(url);
  await page.waitForSelector("#graph g.node");
  await page.click('#graph g.node[data-group="1"]');
  await page.waitForSelector('#graph g.node[data-node="t:out/split/train.csv"]');
  await page.click('#graph g.node[data-node="t:out/model.txt"]');
  await page.waitForSelector("#panel h2");
  await page.screenshot({ path: join(repo, "docs", "ui-graph.png") });

  await page.click('.tab[data-view="products"]');
  await page.click('#products tbody tr[data-path="out/scores.csv"]');
  await page.click('#outputs li[data-path="out/scores.csv"] .preview-btn');
  await page.waitForSelector('#outputs li[data-path="out/scores.csv"] table');
  await page.click('#outputs li[data-path="out/scores.csv"] .versions-btn');
  await page.waitForSelector("table.versions");
  await page.setViewportSize({ width: 1360, height: 1000 });
  // The panel scrolled to the product: its preview and its versions.
  await page.evaluate("document.querySelector('#panel').scrollTop = document.querySelector('#outputs').offsetTop - document.querySelector('#panel').offsetTop - 40");
  await page.screenshot({ path: join(repo, "docs", "ui-product.png") });
  await page.setViewportSize({ width: 1360, height: 820 });

  await page.click('.tab[data-view="runs"]');
  await page.click('#runs tbody tr[data-run="1"]');
  await page.waitForSelector("#run svg");
  await page.click("#panel .close");
  await page.screenshot({ path: join(repo, "docs", "ui-timeline.png") });
} finally {
  await browser.close();
  ui.kill("SIGTERM");
  rmSync(profile, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
}
console.log("wrote docs/ui-graph.png, docs/ui-product.png, docs/ui-timeline.png");
