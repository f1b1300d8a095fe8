import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { Command, Option } from "./clipanion.js";
import { ProjectCommand } from "./project-command.js";
import { t } from "./typanion.js";
import { EXIT } from "../exit-codes.js";
import { onInterrupt } from "../run/interrupt.js";

export class UiCommand extends ProjectCommand {
  static override paths = [["ui"]];

  static override usage = Command.Usage({
    description: "see the pipeline in a browser: the graph, runs, products, logs and tags",
    details: `
      Starts a local web server on 127.0.0.1 (a free port unless --port) and prints its URL with a random token,
      as Jupyter does: open it in a browser. The page shows the plan's graph coloured by state (or by a run's
      results), each task's recipe, inputs, outputs, key, tags, why it would rerun and its log, previews of its
      products (text, CSV, JSON, images) and their earlier versions in the cache, the run history with each run's
      timeline, and deletes a task's or a tag's outputs through flow clean's code after a confirmation. A build in
      another terminal updates the page as it runs.

      Only this machine can connect, and only with the token; see docs/ui.md for the security model.
      Ctrl-C stops it (exit 0). Exit codes: 0 stopped, 2 usage (a port in use).
    `,
    examples: [
      ["Browse the project", "$0 ui"],
      ["On a fixed port, opening the browser", "$0 ui --port 8765 --open"],
      ["Only the tasks tagged nightly", "$0 ui --tag nightly"],
    ],
  });

  port = Option.String("--port", { description: "Listen on port N of 127.0.0.1 (default: a free one)", validator: t.isNumber() });
  open = Option.Boolean("--open", false, { description: "Open the page in the browser (xdg-open or open)" });
  tags = Option.Array("--tag", [], { description: "Show the tasks tagged T (repeatable: the union)" });
  words = Option.Rest({ name: "targets and VAR=value" });

  override async execute(): Promise<number> {
    const err = this.context.stderr;
    if (this.port !== undefined && (!Number.isInteger(this.port) || this.port < 1 || this.port > 65535)) {
      err.write(`flow: --port needs a port number from 1 to 65535, got ${this.port}\n`);
      return EXIT.usage;
    }
    const project = {
      cwd: process.cwd(),
      ...(this.dir !== undefined ? { dir: this.dir } : {}),
      ...(this.file !== undefined ? { file: this.file } : {}),
      words: this.words,
      tags: this.tags,
      cacheDir: this.cacheDir,
      env: process.env,
    };
    // The server's modules (Hono, the watcher, elkjs) only when it starts: `flow --help` loads every command.
    const { startUi, writeOpenFile } = await import("../ui/ui-server.js");
    const started = await startUi(project, this.port, (m) => err.write(`flow: warning ${m}\n`));
    if (!started.ok) {
      err.write(`flow: ${started.message}\n`);
      return EXIT.usage;
    }
    const server = started.server;
    this.context.stdout.write(`flow ui: ${server.url}\n`);
    let openFile: string | undefined;
    if (this.open) openFile = this.openBrowser(writeOpenFile(server.root, server.url, server.port));
    await new Promise<void>((done) => {
      const off = onInterrupt(() => {
        off();
        done();
      });
    });
    await server.close();
    if (openFile !== undefined) rmSync(openFile, { force: true });
    this.context.stderr.write("flow ui: stopped\n");
    return EXIT.ok;
  }

  /** Opens the page through a 0600 file holding the URL (ui-server.ts), so the token is on no command line. */
  private openBrowser(file: string): string {
    const err = this.context.stderr;
    const opener = process.platform === "darwin" ? "open" : "xdg-open";
    const child = spawn(opener, [file], { stdio: "ignore", detached: true });
    child.on("error", () => err.write(`flow ui: no browser opener (${opener}) on this machine: open the URL above yourself\n`));
    child.unref();
    return file;
  }
}
