import type { Stats } from "node:fs";
import type { StatLike } from "@flow/cache";

/**
 * The stats the graph builder took (one per input), kept for the stat memo
 * until it asks (NodeProjectHost.takeStat), packed six doubles a path in one
 * growing Float64Array rather than as fs.Stats objects: 100,000 retained
 * Stats cost ~150 ms of garbage collection in a 10,000-task no-op build
 * (measured with the builder keeping them and not).
 *
 * Slot layout: [kind, size, mtimeMs, ctimeMs, ino, mode]; kind 0 nothing
 * there, 1 file, 2 directory, 3 anything else (a FIFO, a device: the memo
 * refuses those), -1 handed over already.
 */
const WIDTH = 6;
const MISSING = 0;
const FILE = 1;
const DIR = 2;
const OTHER = 3;
const TAKEN = -1;

export class StatTable {
  private readonly index = new Map<string, number>();
  private data = new Float64Array(WIDTH * 1024);
  private count = 0;

  /** Records a stat (undefined: nothing there); returns what is at the path. */
  put(abs: string, st: Stats | undefined): "file" | "dir" | "missing" {
    const at = this.newSlot(abs);
    const d = this.data;
    if (st === undefined) {
      d[at] = MISSING;
      return "missing";
    }
    d[at] = st.isFile() ? FILE : st.isDirectory() ? DIR : OTHER;
    d[at + 1] = st.size;
    d[at + 2] = st.mtimeMs;
    d[at + 3] = st.ctimeMs;
    d[at + 4] = st.ino;
    d[at + 5] = st.mode;
    // Whatever is not a directory counts as a file for the graph; the stat memo refuses special files.
    return d[at] === DIR ? "dir" : "file";
  }

  /**
   * A new slot even for a path put before (NodeProjectHost stats a path once,
   * so that does not happen there): one map write, no read. Its offset.
   */
  private newSlot(abs: string): number {
    if ((this.count + 1) * WIDTH > this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    const slot = this.count++;
    this.index.set(abs, slot);
    return slot * WIDTH;
  }

  /** The same from numbers already packed (kind: 0 missing, 1 file, 2 directory, 3 other), as the build state keeps them. */
  putPacked(abs: string, kind: number, size: number, mtimeMs: number, ctimeMs: number, ino: number, mode: number): void {
    const at = this.newSlot(abs);
    const d = this.data;
    d[at] = kind;
    d[at + 1] = size;
    d[at + 2] = mtimeMs;
    d[at + 3] = ctimeMs;
    d[at + 4] = ino;
    d[at + 5] = mode;
  }

  /**
   * The stat recorded for `abs`, once: a second take (the file may have
   * changed since, e.g. rewritten by a task) is "not recorded".
   * undefined: not recorded; null: recorded as missing.
   */
  take(abs: string): StatLike | null | undefined {
    const slot = this.index.get(abs);
    if (slot === undefined) return undefined;
    const d = this.data;
    const at = slot * WIDTH;
    const kind = d[at] as number;
    if (kind === TAKEN) return undefined;
    d[at] = TAKEN;
    if (kind === MISSING) return null;
    return new PackedStat(kind, d[at + 1] as number, d[at + 2] as number, d[at + 3] as number, d[at + 4] as number, d[at + 5] as number);
  }
}

class PackedStat implements StatLike {
  constructor(
    private readonly kind: number,
    readonly size: number,
    readonly mtimeMs: number,
    readonly ctimeMs: number,
    readonly ino: number,
    readonly mode: number,
  ) {}

  isFile(): boolean {
    return this.kind === FILE;
  }

  isDirectory(): boolean {
    return this.kind === DIR;
  }
}
