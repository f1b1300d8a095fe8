// recipes/asset-download (issue 19, job 3): a manifest lists a data set's
// assets; a generated include turns it into one download task (curl, with
// retries, checked against the manifest's sha256) and one processing task
// per asset. The assets come from an HTTP server this test runs on 127.0.0.1,
// serving a copy of the recipe's mirror/ from the test's temp dir; the URL is
// a plain variable (BASE_URL), and so is the subset (SUBSET).
//
// flow runs asynchronously here (flowAsync): the server lives in this
// process, and a synchronous spawn would stop it from answering.
import assert from "node:assert/strict";
import { cpSync, existsSync, lstatSync, readdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join, normalize } from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import { ensureDebianTool, runs } from "./debian-tool.js";
import { cleanup, copyRecipe, didWork, flowAsync, read, repoRoot, tempDir, withStatus, type FlowRun, type JsonSummary } from "./support.js";

const ALL = ["alpine", "coast", "desert", "forest", "tundra"];
const TRAIN = ["alpine", "coast", "desert"];
const downloads = (names: string[]): string[] => names.map((n) => `out/downloads/${n}.csv`);
const processed = (names: string[]): string[] => names.map((n) => `out/processed/${n}.tsv`);

/** What the server does for a path, instead of serving the file: 404, a damaged copy, or a 503 the first time only. */
type Misbehaviour = "404" | "bad-bytes" | "503-once";

interface AssetServer {
  baseUrl: string;
  /** Paths requested since the last call, sorted. */
  takeRequests(): string[];
  misbehave: Map<string, Misbehaviour>;
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 serving the files of `root` (never a link, never outside it). */
async function startServer(root: string): Promise<AssetServer> {
  let requests: string[] = [];
  const misbehave = new Map<string, Misbehaviour>();
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname).slice(1);
    requests.push(path);
    const how = misbehave.get(path);
    if (how === "503-once") misbehave.delete(path);
    const file = join(root, normalize(path));
    const servable = !path.split("/").includes("..") && existsSync(file) && lstatSync(file).isFile();
    if (how === "404" || !servable) {
      res.writeHead(404).end("not found\n");
    } else if (how === "503-once") {
      res.writeHead(503).end("busy, try again\n");
    } else {
      const bytes = readFileSync(file);
      // One byte changed: the same size, another checksum.
      if (how === "bad-bytes") bytes[bytes.length - 2] = bytes[bytes.length - 2] === 0x30 ? 0x31 : 0x30;
      res.writeHead(200, { "content-type": "text/csv", "content-length": bytes.length }).end(bytes);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    takeRequests() {
      const r = requests.sort();
      requests = [];
      return r;
    },
    misbehave,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The recipe downloads with curl: installed with apt-get when missing (as test/make-compat installs make); an error says why when that fails. */
function ensureCurl(): void {
  const curl = ensureDebianTool("curl", () => runs("curl", ["--version"]));
  if (!curl.ok) throw new Error(`recipes/asset-download needs curl: ${curl.why}`);
}

async function run(args: string[], cwd: string): Promise<FlowRun> {
  const { child, done } = flowAsync(args, { cwd });
  // A hung build must not hang the suite.
  const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
  try {
    return await done;
  } finally {
    clearTimeout(timer);
  }
}

async function buildJson(args: string[], cwd: string): Promise<FlowRun & { summary: JsonSummary }> {
  const r = await run(["build", "--json", ...args], cwd);
  try {
    return { ...r, summary: JSON.parse(r.stdout) as JsonSummary };
  } catch {
    throw new Error(`flow build --json printed no JSON (exit ${r.code}):\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  }
}

/** Every log file flow kept below .flow/ for a task, by content: the lines of the logs that mention `text`. */
function logsMentioning(dir: string, text: string): string[] {
  const found: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory() && !["blobs", "db", "state"].includes(e.name)) walk(p);
      else if (e.isFile() && e.name.endsWith(".log")) found.push(...readFileSync(p, "utf8").split("\n").filter((l) => l.includes(text)));
    }
  };
  walk(join(dir, ".flow"));
  return found;
}

describe("recipes/asset-download, from a server on 127.0.0.1", () => {
  let server: AssetServer;
  let served: string;
  let url: string;
  const copies: string[] = [];
  const copy = (): string => {
    const dir = copyRecipe("asset-download");
    copies.push(dir);
    return dir;
  };

  before(async () => {
    ensureCurl();
    served = tempDir("flow-assets-served-");
    cpSync(join(repoRoot, "recipes", "asset-download", "mirror"), served, { recursive: true });
    server = await startServer(served);
    url = `BASE_URL=${server.baseUrl}`;
  });
  // Each test starts with a server that behaves, and counts its own requests.
  beforeEach(() => {
    server.misbehave.clear();
    server.takeRequests();
  });
  after(async () => {
    await server.close();
    cleanup(served);
    for (const d of copies) cleanup(join(d, ".."));
  });

  test("SUBSET=train fetches and processes the train assets (a 503 is retried); the whole set then adds only the rest; a third build fetches nothing", async () => {
    const dir = copy();
    server.misbehave.set("stations/desert.csv", "503-once");
    const train = await buildJson([url, "SUBSET=train"], dir);
    assert.equal(train.code, 0, train.stdout + train.stderr);
    assert.deepEqual(didWork(train.summary), [...downloads(TRAIN), ...processed(TRAIN), "out/summary.tsv"].sort());
    assert.deepEqual(
      server.takeRequests(),
      ["stations/alpine.csv", "stations/coast.csv", "stations/desert.csv", "stations/desert.csv"],
      "each asset fetched once; desert's 503 retried by curl",
    );
    assert.deepEqual(
      read(dir, "out/summary.tsv")
        .trimEnd()
        .split("\n")
        .map((l) => l.split("\t")[0]),
      ["station", ...TRAIN],
    );
    // Each asset's download has its own log, with the check's line.
    for (const a of TRAIN) {
      const lines = logsMentioning(dir, `out/downloads/${a}.csv:`);
      assert.ok(lines.length > 0, `a log of ${a}'s download`);
      for (const l of lines) assert.equal(l, `out/downloads/${a}.csv: ${read(dir, `out/downloads/${a}.csv`).length} bytes, sha256 as in the manifest`);
    }

    const all = await buildJson([url], dir);
    assert.equal(all.code, 0, all.stdout + all.stderr);
    assert.deepEqual(didWork(all.summary), ["out/downloads/forest.csv", "out/downloads/tundra.csv", "out/processed/forest.tsv", "out/processed/tundra.tsv", "out/summary.tsv"]);
    assert.deepEqual(server.takeRequests(), ["stations/forest.csv", "stations/tundra.csv"]);

    const again = await buildJson([url], dir);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(didWork(again.summary), []);
    assert.deepEqual(server.takeRequests(), [], "nothing fetched");
  });

  test("a download that fails (404, bad bytes): its processing cannot run, the others finish under -k, and the summaries name it", async () => {
    const dir = copy();
    server.misbehave.set("stations/alpine.csv", "404");
    server.misbehave.set("stations/coast.csv", "bad-bytes");
    const r = await buildJson(["-k", url], dir);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.equal(r.summary.ok, false);
    assert.deepEqual(withStatus(r.summary, "failed"), downloads(["alpine", "coast"]));
    assert.deepEqual(withStatus(r.summary, "cannot-run"), ["all", ...processed(["alpine", "coast"]), "out/summary.tsv"]);
    assert.deepEqual(withStatus(r.summary, "ran"), [...downloads(["desert", "forest", "tundra"]), ...processed(["desert", "forest", "tundra"])].sort());
    const task = (name: string) => r.summary.tasks.find((t) => t.name === name);
    assert.equal(task("out/downloads/alpine.csv")?.message, "recipe exited with code 22", "curl --fail's exit code for an HTTP error");
    assert.equal(task("out/processed/alpine.tsv")?.message, "'out/downloads/alpine.csv' did not succeed");
    assert.equal(existsSync(join(dir, "out/downloads/coast.csv")), false, "the damaged download is not left behind");
    server.takeRequests();

    // The text summary: each failed asset named, with its own log.
    const text = await run(["build", "-k", url], dir);
    assert.equal(text.code, 1);
    const shown = text.stdout + text.stderr;
    assert.match(shown, /FAILED +out\/downloads\/alpine\.csv: recipe exited with code 22/);
    assert.match(shown, /curl: \(22\) The requested URL returned error: 404/, "alpine's log is shown");
    assert.match(shown, /FAILED +out\/downloads\/coast\.csv: recipe exited with code 1/);
    assert.match(shown, /out\/downloads\/coast\.csv: sha256 [0-9a-f]{64}, but the manifest says [0-9a-f]{64}/, "coast's log is shown");
    assert.match(shown, /flow: build failed: .*2 failed, 4 cannot run/);
    assert.doesNotMatch(shown, /FAILED +out\/downloads\/(desert|forest|tundra)/);
    assert.deepEqual(server.takeRequests(), ["stations/alpine.csv", "stations/coast.csv"], "failures are not cached: only they are tried again");

    // The server mended: only the two assets are fetched and processed, then the summary.
    server.misbehave.clear();
    const mended = await buildJson([url], dir);
    assert.equal(mended.code, 0, mended.stdout + mended.stderr);
    assert.deepEqual(didWork(mended.summary), [...downloads(["alpine", "coast"]), ...processed(["alpine", "coast"]), "out/summary.tsv"]);
    assert.deepEqual(server.takeRequests(), ["stations/alpine.csv", "stations/coast.csv"]);
  });

  test("flow build --tag download fetches without processing; a second run fetches nothing; the build then processes without fetching", async () => {
    const dir = copy();
    const fetch = await buildJson(["--tag", "download", url], dir);
    assert.equal(fetch.code, 0, fetch.stdout + fetch.stderr);
    assert.deepEqual(didWork(fetch.summary), downloads(ALL));
    assert.deepEqual(server.takeRequests(), ALL.map((a) => `stations/${a}.csv`));
    assert.equal(existsSync(join(dir, "out/processed")), false, "nothing processed");

    const again = await buildJson(["--tag", "download", url], dir);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(didWork(again.summary), []);
    assert.deepEqual(server.takeRequests(), []);

    const rest = await buildJson([url], dir);
    assert.equal(rest.code, 0, rest.stdout + rest.stderr);
    assert.deepEqual(didWork(rest.summary), [...processed(ALL), "out/summary.tsv"]);
    assert.deepEqual(server.takeRequests(), [], "processing fetches nothing");

    // A subset the manifest does not have is an error before anything runs.
    const bad = await run(["build", url, "SUBSET=validation"], dir);
    assert.equal(bad.code, 2, bad.stdout + bad.stderr);
    assert.match(bad.stderr, /SUBSET=validation selects no asset of manifest\.tsv/);
  });
});
