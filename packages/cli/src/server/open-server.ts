// The watching server for a build or a status, if there is one to ask: one
// runs (its socket is there), or the command wants one (--server,
// FLOW_SERVER=1) and starts it. The client code (node:net, the protocol) is
// loaded only then, so a build without a server pays one existsSync for it.
import { existsSync } from "node:fs";
import type { ServerClient } from "./connect-server.js";
import { serverPaths } from "./server-paths.js";

export async function openServer(root: string, wanted: boolean): Promise<ServerClient | undefined> {
  if (!wanted && !existsSync(serverPaths(root).socket)) return undefined;
  const { connectServer } = await import("./connect-server.js");
  return connectServer(root, { start: wanted });
}
