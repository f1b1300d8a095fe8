// The remote-cache options of the commands that build or plan (build,
// status, cache warm), declared once; see run/remote-settings.ts.
import { Option } from "./clipanion.js";
import { ProjectCommand } from "./project-command.js";
import { remoteSetup, type RemoteSetup } from "../run/remote-settings.js";

export abstract class RemoteCommand extends ProjectCommand {
  remoteUrl = Option.String("--remote-url", { description: "Remote cache server (Turborepo API; default: $FLOW_REMOTE_URL; token: $FLOW_REMOTE_TOKEN)" });
  remoteTeam = Option.String("--remote-team", { description: "Remote cache team id or slug (default: $FLOW_REMOTE_TEAM or flow)" });
  remoteReadOnly = Option.Boolean("--remote-read-only", false, { description: "Restore from the remote cache, never upload (or FLOW_REMOTE_READ_ONLY=1)" });
  noRemote = Option.Boolean("--no-remote", false, { description: "Do not use a remote cache, even if FLOW_REMOTE_URL is set" });

  protected remoteSetup(): RemoteSetup {
    return remoteSetup({ url: this.remoteUrl, team: this.remoteTeam, readOnly: this.remoteReadOnly, off: this.noRemote }, process.env);
  }
}
