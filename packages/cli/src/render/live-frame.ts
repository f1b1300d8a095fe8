// What the live display shows (docs/output-live.md), as text: a line per
// running task with its elapsed time, then one line with a bar, done/total,
// the restored and failed counts and an estimate of the time left. Pure: the
// clock is passed in, nothing is written; live-display.ts draws it.
import type { BuildEvent } from "@flow/graph";
import { PLAIN, type Paint } from "./color.js";

const BAR_WIDTH = 20;

export class LiveFrame {
  private total = 0;
  private concurrency = 1;
  private done = 0;
  private restored = 0;
  private failed = 0;
  /** Running tasks by name, with when each started, in start order. */
  private readonly running = new Map<string, number>();
  /** Expected ms of each task of the build not yet ended (the hint, or the median). */
  private readonly expected = new Map<string, number>();
  /** The sum of `expected` over tasks not started: kept as they start and end, never summed per frame. */
  private waitingMs = 0;
  private planned = false;

  constructor(private readonly paint: Paint = PLAIN) {}

  /**
   * The build's tasks and the durations recorded in earlier runs: a task with
   * no record counts as the median of the known ones. Without any record
   * there is no estimate.
   */
  plan(names: Iterable<string>, durations: ReadonlyMap<string, number>): void {
    const known = [...durations.values()].sort((a, b) => a - b);
    if (known.length === 0) return;
    const mid = Math.floor(known.length / 2);
    const median = known.length % 2 === 1 ? (known[mid] as number) : ((known[mid - 1] as number) + (known[mid] as number)) / 2;
    for (const name of names) {
      const ms = durations.get(name) ?? median;
      this.expected.set(name, ms);
      if (!this.running.has(name)) this.waitingMs += ms;
    }
    this.planned = true;
  }

  observe(e: BuildEvent, now: number): void {
    switch (e.type) {
      case "build-start":
        this.total = e.total;
        this.concurrency = e.concurrency;
        return;
      case "task-start":
        this.running.set(e.task.name, now);
        this.waitingMs -= this.expected.get(e.task.name) ?? 0;
        return;
      case "task-end": {
        this.done++;
        if (e.result.status === "restored") this.restored++;
        else if (e.result.status === "failed") this.failed++;
        const name = e.task.name;
        const ms = this.expected.get(name);
        if (ms !== undefined) {
          if (!this.running.has(name)) this.waitingMs -= ms;
          this.expected.delete(name);
        }
        this.running.delete(name);
        return;
      }
      case "warning":
      case "interrupt":
      case "build-end":
        return;
    }
  }

  /** The frame at `now`, each line cut to `width` columns, at most `height` lines. */
  text(now: number, width: number, height: number): string {
    const lines: string[] = [];
    const room = Math.max(0, height - 2); // the overall line, and one left for the cursor below the frame
    let shown = 0;
    for (const [name, started] of this.running) {
      if (shown === room - 1 && this.running.size > room) {
        lines.push(cut(`  ... and ${this.running.size - shown} more running`, width));
        break;
      }
      if (shown === room) break;
      lines.push(cut(`  running   ${name} (${elapsed(now - started)})`, width));
      shown++;
    }
    lines.push(this.overall(now, width));
    return lines.join("\n");
  }

  private overall(now: number, width: number): string {
    const filled = this.total === 0 ? BAR_WIDTH : Math.floor((this.done / this.total) * BAR_WIDTH);
    const bar = `[${filled > 0 ? this.paint.ok("#".repeat(filled)) : ""}${".".repeat(BAR_WIDTH - filled)}]`;
    const failed = `${this.failed} failed`;
    const parts = [`${this.done}/${this.total} done`, `${this.restored} restored`, this.failed > 0 ? this.paint.failed(failed) : failed, `${this.running.size} running`];
    const eta = this.eta(now);
    if (eta !== undefined) parts.push(`ETA ${clock(eta)}`);
    // The bar and the counts are cut as plain text; the paint's escapes take no columns.
    const plainLength = 2 + BAR_WIDTH + 3 + parts.join(", ").replace(ESCAPES, "").length;
    const line = `  ${bar} ${parts.join(", ")}`;
    return plainLength <= width ? line : cut(line.replace(ESCAPES, ""), width);
  }

  /**
   * The time left: the expected time of the tasks not started plus what the
   * running ones still have to go (never below zero), shared between the job
   * slots the remaining tasks can fill.
   */
  private eta(now: number): number | undefined {
    if (!this.planned) return undefined;
    let ms = Math.max(0, this.waitingMs);
    for (const [name, started] of this.running) ms += Math.max(0, (this.expected.get(name) ?? 0) - (now - started));
    const left = this.expected.size;
    const slots = Math.max(1, Math.min(this.concurrency, left));
    return ms / slots;
  }
}

// eslint-disable-next-line no-control-regex -- the paint's SGR escapes, which take no columns
const ESCAPES = /\x1b\[[0-9;]*m/g;

function cut(line: string, width: number): string {
  return line.length <= width ? line : `${line.slice(0, Math.max(0, width - 3))}...`;
}

/** 0.4s, 12.3s, 2m05s: a running task's time so far. */
export function elapsed(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  return clock(ms);
}

/** 12s, 2m05s, 1h02m: an estimate, to the second at most. */
export function clock(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}
