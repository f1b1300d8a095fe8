// `flow cache warm [targets]`: a build, then every built task's artifact
// made sure of in the remote cache (run/cache-warm.ts). Its options are the
// build's.
import { Command } from "./clipanion.js";
import { BuildCommand } from "./build-command.js";

export class CacheWarmCommand extends BuildCommand {
  static override paths = [["cache", "warm"]];

  static override usage = Command.Usage({
    category: "Cache",
    description: "build, then upload to the remote cache whatever it lacks (CI on main)",
    details: `
      Builds the given targets like \`flow build\` (restoring from the remote cache what it can), then asks
      the remote cache about every built task (HEAD) and uploads the ones it lacks, waiting for each.
      Prints how many it found, uploaded and could not upload; a second run uploads nothing and says so.

      Needs FLOW_REMOTE_URL (or --remote-url) and FLOW_REMOTE_TOKEN. With --remote-read-only it only counts.
      Exit codes: 0 the build succeeded (even if uploads failed), 1 a task failed, 2 a bad Flowfile, usage or no remote.
    `,
    examples: [
      ["Pre-warm the remote cache on main", "FLOW_REMOTE_URL=https://cache.example FLOW_REMOTE_TOKEN=$TOKEN $0 cache warm"],
      ["Warm only the tasks tagged check", "$0 cache warm --tag check"],
    ],
  });

  protected override readonly warming: boolean = true;
}
