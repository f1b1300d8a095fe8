// The full client's side of the no-op answered by the server
// (settled-noops.ts): what a build printed, and whether it may be settled.
import type { Output } from "../render/render.js";

/** What the build wrote, by descriptor, in order; past a few writes only that there were more. */
export class WriteTap {
  readonly writes: { readonly fd: 1 | 2; readonly text: string }[] = [];
  overflow = false;

  /** `out`, with each write also noted as going to `fd`. */
  wrap(out: Output, fd: 1 | 2): Output {
    return {
      write: (text: string) => {
        if (this.writes.length < 4) this.writes.push({ fd, text });
        else this.overflow = true;
        out.write(text);
      },
    };
  }
}

/** `flow: done: 12 up to date (` + time + `s)\n` (colour codes as printed), split around the time. */
const SUMMARY = /^(flow: .*\bdone\b.*: [0-9]+ up to date \()[0-9]+\.[0-9]{2}(s\)\n)$/;

/**
 * The summary a settled no-op printed, split around its time, when the
 * build printed exactly that on `progressFd` (and, with --json, then its
 * document on stdout): anything else (a warning, a task line, a note) is not
 * something the server could print again.
 */
export function settledOutput(tap: WriteTap, progressFd: 1 | 2, silent: boolean, json: boolean): { summary: { fd: 1 | 2; before: string; after: string } | null } | undefined {
  if (tap.overflow) return undefined;
  const w = tap.writes.slice();
  if (json) {
    const doc = w.pop();
    if (doc === undefined || doc.fd !== 1) return undefined;
  }
  if (silent) return w.length === 0 ? { summary: null } : undefined;
  if (w.length !== 1 || w[0]?.fd !== progressFd) return undefined;
  const m = SUMMARY.exec(w[0].text);
  return m === null ? undefined : { summary: { fd: progressFd, before: m[1] as string, after: m[2] as string } };
}
