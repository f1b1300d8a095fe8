// The live display on a terminal (docs/output-live.md): the frame of
// live-frame.ts kept at the bottom of the screen, redrawn by log-update on a
// timer, with the build's own lines (TextRenderer's, warnings, failure logs)
// scrolling above it.
//
// Loaded only when the progress stream is a terminal (terminal-output.ts):
// this module and log-update are no part of a piped or CI build's start-up.
//
// Why a timer and not a redraw per event: a build of 10,000 tasks ends
// thousands of tasks a second, and a redraw is a write of every line of the
// frame; at 10 frames a second the cost of the display does not grow with
// the number of tasks. Events only change counters; the lines written
// between two frames are held and written together just before the next one.
import { createLogUpdate } from "log-update";
import { topologicalOrder, type BuildEvent, type TaskGraph } from "@flow/graph";
import type { Paint } from "./color.js";
import { LiveFrame } from "./live-frame.js";
import type { Output } from "./render.js";

/** Frames a second: often enough for elapsed times to move smoothly, rare enough to cost nothing. */
const FRAME_MS = 100;

export interface LiveStream {
  write(text: string): unknown;
  readonly columns?: number;
  readonly rows?: number;
  readonly isTTY?: boolean;
}

export class LiveDisplay {
  private readonly frame: LiveFrame;
  private readonly draw: ReturnType<typeof createLogUpdate>;
  /** Lines written while the frame is up, written above it at the next redraw. */
  private held: string[] = [];
  private timer: ReturnType<typeof setInterval> | undefined;
  /** Whether a frame is on the screen (and must be cleared before anything else is written). */
  private drawn = false;

  /** The stream for the build's lines: held while the frame is up, written straight through otherwise. */
  readonly output: Output = {
    write: (text: string) => {
      if (this.timer !== undefined) this.held.push(text);
      else this.stream.write(text);
    },
  };

  constructor(
    private readonly stream: LiveStream,
    paint: Paint,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.frame = new LiveFrame(paint);
    this.draw = createLogUpdate(stream as NodeJS.WritableStream);
  }

  /** The build's tasks and their recorded durations, for the estimate of the time left. */
  expect(graph: TaskGraph, roots: readonly number[], durations: ReadonlyMap<string, number>): void {
    this.frame.plan(
      topologicalOrder(graph, roots).map((id) => graph.tasks[id]?.name ?? ""),
      durations,
    );
  }

  /** Called with each event before it is rendered: the frame goes away before the summary is written. */
  observe(e: BuildEvent): void {
    this.frame.observe(e, this.now());
    if (e.type === "build-start" && this.timer === undefined) {
      this.timer = setInterval(() => this.redraw(), FRAME_MS);
      // The display never keeps flow running: the build does, while it lasts.
      this.timer.unref();
    } else if (e.type === "build-end") {
      this.stop();
    }
  }

  /** Writes the held lines, clears the frame and leaves the cursor below the last line. Safe to call twice. */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.flush();
    if (this.drawn) this.draw.done();
    this.drawn = false;
  }

  /** One frame: the held lines above, the frame below. Exposed for tests with a fake clock. */
  redraw(): void {
    this.flush();
    this.draw(this.frame.text(this.now(), (this.stream.columns ?? 80) - 1, this.stream.rows ?? 24));
    this.drawn = true;
  }

  private flush(): void {
    if (this.drawn && (this.held.length > 0 || this.timer === undefined)) {
      this.draw.clear();
    }
    if (this.held.length > 0) {
      this.stream.write(this.held.join(""));
      this.held = [];
    }
  }
}
