// `flow server start | stop | status`: the watching server of a project
// (packages/cli/src/server/, docs/server.md). The root is found as `flow
// cache` finds it, without reading the Flowfile.
import { Command, Option } from "./clipanion.js";
import { findProjectRoot } from "../run/cache-dir.js";
import { EXIT } from "../exit-codes.js";
import { idleTimeoutFromEnv, serverStatus, startServer, stopServer } from "../server/connect-server.js";
import { serverPaths } from "../server/server-paths.js";
import type { ServerStatus } from "../server/server-protocol.js";

abstract class ServerCommand extends Command {
  dir = Option.String("-C,--directory", { description: "Run as if started in DIR" });
  file = Option.String("-f,--file", { description: "The Flowfile whose directory is the project root (default: ./Flowfile)" });

  /** The project root, or undefined after saying why there is none. */
  protected root(): string | undefined {
    const root = findProjectRoot(process.cwd(), this.dir, this.file);
    if (root === undefined) this.context.stderr.write("flow: no Flowfile here to find the project by; pass -C DIR or -f FILE\n");
    return root;
  }
}

export class ServerStartCommand extends ServerCommand {
  static override paths = [["server", "start"]];
  static override usage = Command.Usage({
    category: "Server",
    description: "start the project's watching server (if none runs)",
    details: `
      Starts a server, in the background, that watches the project's files for changes so that a
      build need not look at every input (see docs/server.md). It stops by itself after an idle
      time (default 3 hours without a request; --idle-timeout or FLOW_SERVER_IDLE_TIMEOUT, seconds).

      Exit codes: 0 running (started now or already), 1 it could not start (see .flow/server.log).
    `,
    examples: [["Start the server of the project here", "$0 server start"]],
  });

  idleTimeout = Option.String("--idle-timeout", { description: "Stop after this many seconds without a request (default 10800)" });

  override async execute(): Promise<number> {
    const root = this.root();
    if (root === undefined) return EXIT.usage;
    let idleMs = idleTimeoutFromEnv(process.env);
    if (this.idleTimeout !== undefined) {
      if (!/^[0-9]+$/.test(this.idleTimeout) || Number(this.idleTimeout) < 1) {
        this.context.stderr.write(`flow: --idle-timeout needs a whole number of seconds (at least 1), got ${this.idleTimeout}\n`);
        return EXIT.usage;
      }
      idleMs = Number(this.idleTimeout) * 1000;
    }
    const before = await serverStatus(root);
    if (typeof before === "object" && "status" in before) {
      this.context.stdout.write(`flow: a server already runs for ${root} (pid ${before.status.pid})\n`);
      return EXIT.ok;
    }
    if (typeof before === "object") {
      this.context.stderr.write(`flow: a server of another flow version (${before.otherVersion.version}, pid ${before.otherVersion.pid}) runs for ${root}; run flow server stop first\n`);
      return EXIT.taskFailed;
    }
    const client = await startServer(root, idleMs);
    if (client === undefined) {
      this.context.stderr.write(`flow: the server did not start; see ${serverPaths(root).log}\n`);
      return EXIT.taskFailed;
    }
    client.close();
    const now = await serverStatus(root);
    const pid = typeof now === "object" && "status" in now ? ` (pid ${now.status.pid})` : "";
    this.context.stdout.write(`flow: server started for ${root}${pid}\n`);
    return EXIT.ok;
  }
}

export class ServerStopCommand extends ServerCommand {
  static override paths = [["server", "stop"]];
  static override usage = Command.Usage({
    category: "Server",
    description: "stop the project's watching server",
    details: "Stops the server of the project (of any flow version). Exit code 0 whether or not one ran.",
    examples: [["Stop the server of the project here", "$0 server stop"]],
  });

  override async execute(): Promise<number> {
    const root = this.root();
    if (root === undefined) return EXIT.usage;
    const pid = await stopServer(root);
    this.context.stdout.write(pid === undefined ? `flow: no server runs for ${root}\n` : `flow: server stopped (pid ${pid})\n`);
    return EXIT.ok;
  }
}

export class ServerStatusCommand extends ServerCommand {
  static override paths = [["server", "status"]];
  static override usage = Command.Usage({
    category: "Server",
    description: "show whether the project's watching server runs, and what it saw",
    details: `
      Prints the server's pid, root, uptime, the sequence number of the last change, the events seen,
      and the times changes may have been lost (by cause) and watcher errors.

      Exit codes: 0 a server runs, 1 none runs (or one of another flow version).
    `,
    examples: [["Is a server watching this project?", "$0 server status"]],
  });

  json = Option.Boolean("--json", false, { description: "Print the status as one JSON document" });

  override async execute(): Promise<number> {
    const root = this.root();
    if (root === undefined) return EXIT.usage;
    const s = await serverStatus(root);
    const out = this.context.stdout;
    if (s === "none") {
      out.write(this.json ? `${JSON.stringify({ running: false, root })}\n` : `flow: no server runs for ${root}\n`);
      return EXIT.taskFailed;
    }
    if ("otherVersion" in s) {
      out.write(
        this.json
          ? `${JSON.stringify({ running: false, root, otherVersion: s.otherVersion })}\n`
          : `flow: a server of another flow version (${s.otherVersion.version}, pid ${s.otherVersion.pid}) runs for ${root}; this flow will not use it (flow server stop stops it)\n`,
      );
      return EXIT.taskFailed;
    }
    out.write(this.json ? `${JSON.stringify({ running: true, ...s.status }, null, 2)}\n` : renderStatus(s.status));
    return EXIT.ok;
  }
}

function renderStatus(s: ServerStatus): string {
  const losses = Object.entries(s.losses);
  return [
    `server for ${s.root}`,
    `  pid          ${s.pid}`,
    `  uptime       ${duration(s.uptimeMs)} (since ${s.startedAt}; stops after ${duration(s.idleTimeoutMs)} idle)`,
    `  sequence     ${s.sequence}`,
    `  events       ${s.events} (${s.pathsTracked} paths tracked)`,
    `  losses       ${losses.length === 0 ? "none" : losses.map(([k, n]) => `${k} ${n}`).join(", ")}`,
    `  errors       ${s.errors}`,
    `  subscribed   ${s.subscriptions} time(s)`,
    ...(s.noops !== undefined ? [`  no-ops       ${s.noops.answered} answered by the server, ${s.noops.declined} left to flow; ${s.noops.settled} build(s) settled`] : []),
    `  socket       ${s.socket}`,
    "",
  ].join("\n");
}

function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}
