// The stat memo's per-run answers, packed: path -> FileState for every path a
// build looked at, kept until it ends (the build state is written from them).
//
// A Map of FileState objects cost ~0.3 KiB a path: the object (7 fields),
// four boxed doubles (size, mtime, ctime, inode: a double field is a heap
// number of its own), the hash string and the map's entry. A full build of
// 100,000 tasks looks at 1.1 million paths, so that was ~330 MiB for the
// whole build (issue 16). Here a path is a map entry to a slot number (a
// small integer, unboxed), the slot's six numbers sit in one Float64Array,
// and its hash in an array of strings: ~0.17 KiB a path in a heap snapshot
// of a 20,000-task build. A FileState is made again on each get; callers
// keep it only while they use it.
import type { ContentHash } from "./content-hash.js";
import type { FileState } from "./file-state.js";

/** Numbers per slot: kind, size, mode, mtimeMs, ctimeMs, ino. */
const WIDTH = 6;
/** Kind codes; FORGOTTEN keeps the slot for the path's next answer. */
const FORGOTTEN = 0;
const FILE = 1;
const DIR = 2;
const MISSING = 3;
const SYMLINK = 4;

export class FileStateTable {
  private readonly slots = new Map<string, number>();
  private numbers = new Float64Array(WIDTH * 1024);
  /** A file's hash or a link's target, by slot ("" otherwise). */
  private readonly texts: string[] = [];

  get(path: string): FileState | undefined {
    const slot = this.slots.get(path);
    if (slot === undefined) return undefined;
    const n = this.numbers;
    const at = slot * WIDTH;
    switch (n[at]) {
      case FILE:
        // The same property order as fileStateOf: one hidden class for every file state.
        return { kind: "file", hash: this.texts[slot] as ContentHash, size: n[at + 1] as number, mode: n[at + 2] as number, mtimeMs: n[at + 3] as number, ctimeMs: n[at + 4] as number, ino: n[at + 5] as number };
      case DIR:
        return { kind: "dir" };
      case MISSING:
        return { kind: "missing" };
      case SYMLINK:
        return { kind: "symlink", target: this.texts[slot] as string };
      default:
        return undefined;
    }
  }

  set(path: string, state: FileState): void {
    let slot = this.slots.get(path);
    if (slot === undefined) {
      slot = this.slots.size;
      this.slots.set(path, slot);
      if ((slot + 1) * WIDTH > this.numbers.length) {
        const grown = new Float64Array(this.numbers.length * 2);
        grown.set(this.numbers);
        this.numbers = grown;
      }
    }
    const n = this.numbers;
    const at = slot * WIDTH;
    switch (state.kind) {
      case "file":
        n[at] = FILE;
        n[at + 1] = state.size;
        n[at + 2] = state.mode;
        n[at + 3] = state.mtimeMs;
        n[at + 4] = state.ctimeMs;
        n[at + 5] = state.ino;
        this.texts[slot] = state.hash;
        return;
      case "symlink":
        n[at] = SYMLINK;
        this.texts[slot] = state.target;
        return;
      case "dir":
        n[at] = DIR;
        break;
      case "missing":
        n[at] = MISSING;
        break;
    }
    this.texts[slot] = "";
  }

  /** The path has no answer until the next set (its slot is kept for it). */
  delete(path: string): void {
    const slot = this.slots.get(path);
    if (slot === undefined) return;
    this.numbers[slot * WIDTH] = FORGOTTEN;
    this.texts[slot] = "";
  }
}
