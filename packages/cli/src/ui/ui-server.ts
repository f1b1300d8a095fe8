// `flow ui`'s server: the Hono app (ui-app.ts) on Node's http server, bound
// to 127.0.0.1 only, on the port asked for or a free one the system picks.
// Like Jupyter, the URL it prints carries a fresh token, and `--open` hands
// the browser a 0600 file under the state directory that redirects to that
// URL, so the token never appears on a command line (ps shows those).
import { lstatSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createAdaptorServer } from "@hono/node-server";
import { findProjectRoot, resolveCacheDir } from "../run/cache-dir.js";
import { ensureStateDir } from "../run/state-dir.js";
import { uiApp } from "./ui-app.js";
import { newToken } from "./ui-auth.js";
import { watchProject } from "./ui-events.js";
import type { UiProject } from "./ui-plan.js";

/** The page's files, shipped beside dist/ in the package. */
export const STATIC_DIR = fileURLToPath(new URL("../../ui/", import.meta.url));

export interface UiServer {
  readonly url: string;
  readonly port: number;
  readonly root: string;
  /** Stops listening (open event streams are ended) and stops watching. */
  close(): Promise<void>;
}

export type UiStart = { readonly ok: true; readonly server: UiServer } | { readonly ok: false; readonly message: string };

export async function startUi(project: UiProject, port: number | undefined, onWarning: (message: string) => void): Promise<UiStart> {
  // The root without reading the Flowfile: a missing or broken one is shown on the page, not a reason not to start.
  const root = findProjectRoot(project.cwd, project.dir, project.file) ?? resolve(project.cwd, project.dir ?? ".");
  const cacheDir = resolveCacheDir(project.cwd, project.cacheDir, project.env, root);
  const token = newToken();
  let listening = 0;
  const events = await watchProject(root, cacheDir, (m) => onWarning(`UI_WATCH_FAILED: the file watcher failed (${m}); the page may miss changes until it is reloaded`));
  const app = uiApp({ project, root, token, port: () => listening, staticDir: STATIC_DIR, events });
  const server = createAdaptorServer({ fetch: app.fetch });
  const bound = await new Promise<{ ok: true } | { ok: false; message: string }>((done) => {
    server.once("error", (e: NodeJS.ErrnoException) =>
      done({ ok: false, message: e.code === "EADDRINUSE"
          ? `error UI_PORT_IN_USE: port ${port} on 127.0.0.1 is in use; pick another with --port N, or leave --port out for a free one`
          : `error UI_CANNOT_LISTEN: cannot listen on 127.0.0.1:${port ?? 0}: ${e.message}; pick another port with --port N, or leave --port out for a free one` }),
    );
    server.listen(port ?? 0, "127.0.0.1", () => done({ ok: true }));
  });
  if (!bound.ok) {
    await events.close();
    return bound;
  }
  listening = (server.address() as AddressInfo).port;
  return {
    ok: true,
    server: {
      url: `http://127.0.0.1:${listening}/?token=${token}`,
      port: listening,
      root,
      close: async () => {
        await events.close();
        await new Promise<void>((done) => {
          server.close(() => done());
          // Event streams stay open until their clients go: end them.
          if ("closeAllConnections" in server) server.closeAllConnections();
        });
      },
    },
  };
}

/**
 * The file `--open` gives the browser: an HTML page, readable by its owner
 * only, that sends the browser to the URL. Written with O_EXCL after removing
 * any old one (never through a link someone put in its place).
 */
export function writeOpenFile(root: string, url: string, port: number): string {
  const path = join(ensureStateDir(root), `ui-${port}-open.html`);
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (st !== undefined) rmSync(path);
  const escaped = url.replace(/&/g, "&amp;").replace(/"/g, "&quot;");
  writeFileSync(path, `<!doctype html>\n<meta charset="utf-8">\n<meta http-equiv="refresh" content="0;url=${escaped}">\n<title>flow ui</title>\n<a href="${escaped}">open flow ui</a>\n`, { flag: "wx", mode: 0o600 });
  return path;
}
