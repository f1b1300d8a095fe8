// What a build writes its lines to: the progress stream itself (piped, CI,
// TERM=dumb: plain lines, nothing added per task), or a live display's
// output on a terminal (docs/output-live.md). The live display's module and
// log-update are loaded only in the second case, and the paint only when
// colour is on: `flow build | cat` loads neither.
import { colorOn, loadPaint, underCi, type ColorMode, type Paint } from "./color.js";
import type { LiveDisplay } from "./live-display.js";
import type { Output } from "./render.js";

export interface TerminalOutput {
  /** Where the build's lines go (TextRenderer, --explain). */
  readonly out: Output;
  readonly paint: Paint;
  /** The live display, when the progress stream is a terminal and no CI runs. */
  readonly live: LiveDisplay | undefined;
}

type ProgressStream = Output & { readonly isTTY?: boolean; readonly columns?: number; readonly rows?: number };

/** Whether the live display is shown on `stream`: a terminal that can move its cursor, outside CI. */
export function liveWanted(stream: { readonly isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && env["TERM"] !== "dumb" && !underCi(env);
}

export async function terminalOutput(stream: ProgressStream, mode: ColorMode, env: NodeJS.ProcessEnv): Promise<TerminalOutput> {
  const paint = await loadPaint(colorOn(mode, stream, env));
  if (!liveWanted(stream, env)) return { out: stream, paint, live: undefined };
  const { LiveDisplay } = await import("./live-display.js");
  const live = new LiveDisplay(stream, paint);
  return { out: live.output, paint, live };
}
