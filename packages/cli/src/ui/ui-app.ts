// `flow ui`'s routes (Hono). Every route is behind uiAuth (ui-auth.ts); the
// handlers only read, except POST /api/clean, which goes through
// `flow clean`'s own code (clean/clean-run.ts). See docs/ui.md.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { selectTasks, type Task } from "@flow/graph";
import { loadProject } from "../project/load-project.js";
import { layoutPlan, type NodeState } from "../render/plan-layout.js";
import { planSvg } from "../render/plan-svg.js";
import { namedPaths, runClean } from "../clean/clean-run.js";
import { listRuns, readSummary, readTasks, taskRows } from "../history/run-read.js";
import { readTimeline } from "../history/run-timeline.js";
import { findTaskLog } from "../history/task-log.js";
import { outputVersions, readOutputVersion } from "../history/output-versions.js";
import { timelineSvg } from "../render/timeline-svg.js";
import { resolveCacheDir } from "../run/cache-dir.js";
import { uiAuth } from "./ui-auth.js";
import type { UiEvents } from "./ui-events.js";
import { isPlainPath, readTaskFile } from "./ui-file.js";
import { planForUi, projectRequest, uiPlan, type UiProject } from "./ui-plan.js";

export interface UiAppOptions {
  readonly project: UiProject;
  /** The project root, found without reading the Flowfile (a broken one must still show its error). */
  readonly root: string;
  readonly token: string;
  /** The port listened on, once known. */
  readonly port: () => number;
  /** The page's files (index.html, app.js, style.css). */
  readonly staticDir: string;
  readonly events: UiEvents;
}

/** The page's files, by name: nothing else is served from disk. */
const STATIC: Readonly<Record<string, string>> = {
  "index.html": "text/html; charset=utf-8",
  "app.js": "text/javascript; charset=utf-8",
  "style.css": "text/css; charset=utf-8",
};

/** Nothing is loaded from elsewhere; the plan's SVG is inserted inline and styles itself. */
const CSP = "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** A product is shown, never run: an HTML or SVG product opened on its own gets no script and no access to the page. */
const PRODUCT_CSP = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'";

export function uiApp(o: UiAppOptions): Hono {
  const app = new Hono();
  const cacheDir = resolveCacheDir(o.project.cwd, o.project.cacheDir, o.project.env, o.root);
  app.use("*", async (c, next) => {
    await next();
    c.header("Content-Security-Policy", CSP);
    c.header("X-Content-Type-Options", "nosniff");
    c.header("Referrer-Policy", "no-referrer");
    c.header("Cache-Control", "no-store");
  });
  app.use("*", uiAuth(o.token, o.port));

  const page = (name: string) => new Response(readFileSync(join(o.staticDir, name)), { headers: { "Content-Type": STATIC[name] as string } });
  app.get("/", () => page("index.html"));
  app.get("/static/:name", (c) => {
    const name = c.req.param("name");
    return Object.hasOwn(STATIC, name) ? page(name) : c.text("not found\n", 404);
  });

  app.get("/favicon.ico", (c) => c.body(null, 204));
  app.get("/api/plan", async (c) => c.json(await uiPlan(o.project, c.req.query("tag") || undefined)));

  app.get("/api/graph.svg", async (c) => {
    const got = await planForUi(o.project, c.req.query("tag") || undefined);
    if (got.graph === undefined || got.plan === undefined) return c.text(got.result.kind === "error" || got.result.kind === "unknown-tags" ? got.result.message : "no plan", 422);
    const expand = new Set((c.req.query("expand") ?? "").split(",").filter((s) => s !== ""));
    const runStates = runStatesOf(o.root, c.req.query("run"));
    const layout = await layoutPlan(got.graph, got.plan, { expand, ...(runStates ? { runStates } : {}) });
    return c.body(planSvg(layout), 200, { "Content-Type": "image/svg+xml; charset=utf-8" });
  });

  app.get("/api/runs", (c) => c.json(listRuns(o.root)));
  app.get("/api/runs/:n{[0-9]+}", (c) => {
    const n = Number(c.req.param("n"));
    const summary = readSummary(o.root, n);
    const tasks = readTasks(o.root, n);
    if (summary === undefined) return c.json({ error: `no readable run ${n} in the history (flow runs lists them)` }, 404);
    return c.json({ summary, tasks: tasks === undefined ? [] : taskRows(tasks) });
  });

  app.get("/api/runs/:n{[0-9]+}/timeline.svg", (c) => {
    const n = Number(c.req.param("n"));
    const timeline = readTimeline(o.root, n);
    if (timeline === undefined) return c.text(`run ${n} has no timeline (a run recorded by an older flow, or not in the history)\n`, 404);
    return c.body(timelineSvg(timeline), 200, { "Content-Type": "image/svg+xml; charset=utf-8" });
  });

  app.get("/api/log/*", async (c) => {
    const task = decodeURIComponent(c.req.path.slice("/api/log/".length));
    const log = await findTaskLog(o.root, task, cacheDir, () => undefined);
    if (!log.found) return c.text(`${log.message}\n`, 404);
    return c.body(new Uint8Array(log.bytes), 200, { "Content-Type": "text/plain; charset=utf-8", "X-Flow-Log-From": encodeURIComponent(log.from) });
  });

  app.get("/api/file", (c) => {
    const path = c.req.query("path") ?? "";
    const project = loadProject(projectRequest(o.project, true));
    if (!project.ok) return c.text("the Flowfile cannot be read: see the plan\n", 422);
    const read = readTaskFile(project.value.root, project.value.graph, path);
    if (!read.ok) return c.text(`${read.message}\n`, read.status);
    return c.body(new Uint8Array(read.bytes), 200, {
      "Content-Type": contentType(path),
      "Content-Security-Policy": PRODUCT_CSP,
      "X-Flow-Size": String(read.size),
      "X-Flow-Truncated": read.truncated ? "1" : "0",
    });
  });

  // Versions: only of a path the Flowfile declares as a task's output (the cache is never browsed by hash alone).
  const declaredOutput = (path: string): { ok: true; root: string } | { ok: false; status: 403 | 404 | 422; message: string } => {
    if (!isPlainPath(path)) return { ok: false, status: 403, message: "only a project-relative path without '..' can be read" };
    const project = loadProject(projectRequest(o.project, true));
    if (!project.ok) return { ok: false, status: 422, message: "the Flowfile cannot be read: see the plan" };
    if (!project.value.graph.tasks.some((t) => t.outputs.some((x) => !x.isDir && x.path === path))) return { ok: false, status: 404, message: `${path} is not a declared output of a task in the Flowfile` };
    return { ok: true, root: project.value.root };
  };
  app.get("/api/versions", async (c) => {
    const path = c.req.query("path") ?? "";
    const ok = declaredOutput(path);
    if (!ok.ok) return c.json({ error: ok.message }, ok.status);
    return c.json({ path, versions: await outputVersions({ projectDir: ok.root, cacheDir, historyRoot: o.root }, path) });
  });
  app.get("/api/version", async (c) => {
    const path = c.req.query("path") ?? "";
    const ok = declaredOutput(path);
    if (!ok.ok) return c.text(`${ok.message}\n`, ok.status);
    const bytes = await readOutputVersion({ projectDir: ok.root, cacheDir }, path, c.req.query("hash") ?? "");
    if (bytes === undefined) return c.text(`the cache no longer holds that version of ${path}\n`, 404);
    return c.body(new Uint8Array(bytes), 200, { "Content-Type": contentType(path), "Content-Security-Policy": PRODUCT_CSP });
  });

  app.post("/api/clean", async (c) => {
    let body: { tag?: unknown; task?: unknown; confirm?: unknown };
    try {
      body = (await c.req.json()) as typeof body;
    } catch {
      return c.json({ error: "send JSON: {\"tag\": T} or {\"task\": NAME}, and \"confirm\": true to delete" }, 400);
    }
    const tag = typeof body.tag === "string" ? body.tag : undefined;
    const taskName = typeof body.task === "string" ? body.task : undefined;
    if ((tag === undefined) === (taskName === undefined)) return c.json({ error: "name exactly one of tag or task" }, 400);
    // As `flow clean` reads it: links in an output's place are clean's business (removed as links, never followed).
    const project = loadProject({ ...projectRequest(o.project, false), linkedOutputs: true });
    if (!project.ok) return c.json({ error: "the Flowfile cannot be read: see the plan" }, 422);
    const { graph, root } = project.value;
    let tasks: Task[];
    if (tag !== undefined) {
      const sel = selectTasks(graph, { targetsGiven: false, tags: [tag] });
      if (sel.unknownTags.length > 0) return c.json({ error: `no task has the tag '${tag}'` }, 404);
      tasks = sel.roots.map((id) => graph.tasks[id] as Task);
    } else {
      const id = graph.byName.get(taskName as string);
      if (id === undefined) return c.json({ error: `no task named '${taskName}'` }, 404);
      tasks = [graph.tasks[id] as Task];
    }
    const said: string[] = [];
    const run = await runClean({ root, cacheDir, tasks, named: namedPaths(graph.tasks), withCache: false, dryRun: body.confirm !== true, noWait: true, err: { write: (t) => said.push(t) } });
    if (!run.ok) return c.json({ error: (run.message ?? said.join("").trim()) || "another build or clean holds the workspace lock; try again when it ends" }, 409);
    return c.json({ dryRun: body.confirm !== true, tasks: tasks.map((t) => t.name), removed: run.removed, kept: run.plan.kept, failed: run.failed, unrecorded: run.plan.unrecorded });
  });

  app.get("/api/events", (c) =>
    streamSSE(c, async (stream) => {
      let wake: (() => void) | undefined;
      const queue: string[] = [];
      const off = o.events.subscribe((types) => {
        queue.push(JSON.stringify({ types }));
        wake?.();
      });
      stream.onAbort(() => {
        off();
        wake?.();
      });
      await stream.writeSSE({ event: "hello", data: "{}" });
      while (!stream.aborted && !stream.closed) {
        const next = queue.shift();
        if (next !== undefined) {
          await stream.writeSSE({ event: "change", data: next });
          continue;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
          // A comment now and then: a proxy or the browser sees the stream is alive.
          setTimeout(resolve, 15_000).unref();
        });
        wake = undefined;
        if (queue.length === 0 && !stream.aborted) await stream.write(": keep-alive\n\n");
      }
      off();
    }),
  );

  app.all("/api/clean", (c) => c.text("POST only\n", 405));
  app.notFound((c) => c.text("not found\n", 404));
  return app;
}

/** `?run=N`: each task's result in run N, for colouring the graph by it. */
function runStatesOf(root: string, run: string | undefined): ReadonlyMap<string, NodeState> | undefined {
  if (run === undefined || !/^[0-9]+$/.test(run)) return undefined;
  const tasks = readTasks(root, Number(run));
  if (tasks === undefined) return undefined;
  return new Map(taskRows(tasks).map((r) => [r.name, r.status]));
}

const TYPES: Readonly<Record<string, string>> = {
  csv: "text/csv; charset=utf-8",
  tsv: "text/tab-separated-values; charset=utf-8",
  json: "application/json; charset=utf-8",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  svg: "image/svg+xml",
};

/** By extension; anything else is shown as text when it decodes as such (the page decides). */
function contentType(path: string): string {
  const ext = path.slice(path.lastIndexOf(".") + 1).toLowerCase();
  return TYPES[ext] ?? "application/octet-stream";
}
