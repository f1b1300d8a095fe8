// `flow build --profile FILE`: the build as a Chrome trace-event JSON
// (docs/profile.md), which Perfetto (ui.perfetto.dev) and chrome://tracing
// open. One track per job slot; one complete event ("ph": "X") per task that
// did work (ran, restored or failed), with its phases nested inside it: the
// cache look-up, the restore, the recipe's run, the storing of its outputs.
// Fresh tasks (up to date) are left out: they only looked their key up, and
// a no-op build of 10,000 tasks would be 10,000 slivers.
import { closeSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import type { BuildEvent, TaskPhase, TaskTiming, TaskStatus } from "@flow/graph";
import { assignSlots } from "./job-slots.js";

/** The names the phases are shown with. */
const PHASE_NAMES: Record<TaskPhase["phase"], string> = {
  "look-up": "cache look-up",
  restore: "restore",
  run: "run",
  store: "store outputs",
};

const PID = 1;

interface Span {
  readonly name: string;
  readonly status: TaskStatus;
  readonly key: string | undefined;
  readonly timing: TaskTiming;
}

/** A complete event, a metadata event: the two kinds the profile holds. */
type TraceEvent =
  | { name: string; cat: string; ph: "X"; ts: number; dur: number; pid: number; tid: number; args?: Record<string, unknown> }
  | { name: string; ph: "M"; pid: number; tid?: number; args: Record<string, unknown> };

/**
 * Collects the timings the core puts on task-end events (when the build was
 * given `clock` as its profileClock) and writes them as a trace.
 */
export class TraceProfile {
  readonly path: string;
  /** The build's profile clock: ms, fractional, monotonic. */
  readonly clock = (): number => performance.now();
  #startMs: number | undefined;
  #endMs: number | undefined;
  #concurrency = 1;
  readonly #spans: Span[] = [];

  constructor(file: string, cwd: string) {
    this.path = resolve(cwd, file);
  }

  observe(e: BuildEvent): void {
    if (e.type === "build-start") {
      this.#startMs = this.clock();
      this.#concurrency = e.concurrency;
    } else if (e.type === "task-end" && e.timing !== undefined) {
      this.#spans.push({ name: e.task.name, status: e.result.status, key: e.result.key, timing: e.timing });
    } else if (e.type === "build-end") this.#endMs = this.clock();
  }

  /** The trace document. */
  trace(): { traceEvents: TraceEvent[]; displayTimeUnit: "ms"; otherData: Record<string, unknown> } {
    const t0 = this.#startMs ?? this.#spans.reduce((m, s) => Math.min(m, s.timing.startMs), Infinity);
    const us = (ms: number) => Math.round((ms - t0) * 1000);
    const slots = assignSlots(this.#spans.map((s) => s.timing));
    const events: TraceEvent[] = [{ name: "process_name", ph: "M", pid: PID, args: { name: "flow build" } }];
    const used = slots.reduce((m, s) => Math.max(m, s), 0);
    for (let tid = 1; tid <= used; tid++) {
      events.push({ name: "thread_name", ph: "M", pid: PID, tid, args: { name: `job slot ${tid}` } });
      events.push({ name: "thread_sort_index", ph: "M", pid: PID, tid, args: { sort_index: tid } });
    }
    this.#spans.forEach((s, i) => {
      const tid = slots[i] as number;
      const ts = us(s.timing.startMs);
      events.push({ name: s.name, cat: `task,${s.status}`, ph: "X", ts, dur: Math.max(0, us(s.timing.endMs) - ts), pid: PID, tid, args: { status: s.status, ...(s.key !== undefined ? { key: s.key } : {}) } });
      for (const p of s.timing.phases) {
        const pts = us(p.startMs);
        events.push({ name: PHASE_NAMES[p.phase], cat: `phase,${p.phase}`, ph: "X", ts: pts, dur: Math.max(0, us(p.endMs) - pts), pid: PID, tid, args: { task: s.name } });
      }
    });
    const end = this.#endMs ?? this.#spans.reduce((m, s) => Math.max(m, s.timing.endMs), t0);
    return { traceEvents: events, displayTimeUnit: "ms", otherData: { tool: "flow", jobs: this.#concurrency, buildMs: Math.round((end - t0) * 1000) / 1000, tasksShown: this.#spans.length } };
  }

  /**
   * Writes the trace: into a new file beside FILE (created exclusively, so
   * never through a link or over another file), then renamed over FILE (a
   * link at FILE is replaced, not followed). A failure is a warning: the
   * build's result stands.
   */
  save(warn: (w: { code: string; message: string }) => void): void {
    const failed = this.write();
    if (failed !== undefined) warn({ code: "PROFILE_NOT_WRITTEN", message: `could not write the profile to ${this.path} (${failed}); the build itself is unaffected. Give --profile a path in a writable directory` });
  }

  /** Undefined when written, else the error's message. */
  write(): string | undefined {
    const tmp = join(dirname(this.path), `.${basename(this.path)}.${process.pid}.tmp`);
    try {
      const fd = openSync(tmp, "wx", 0o644);
      try {
        writeSync(fd, `${JSON.stringify(this.trace())}\n`);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, this.path);
      return undefined;
    } catch (err) {
      try {
        unlinkSync(tmp);
      } catch {
        // never created, or already renamed
      }
      return err instanceof Error ? err.message : String(err);
    }
  }
}
