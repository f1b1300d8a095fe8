// The build state's bytes (build-state.ts has their meaning). At 10,000
// tasks over 100,000 files the whole state as JSON was 18 MB, and reading it
// (parse, then garbage collection of 800,000 numbers and 110,000 repeated
// path strings) cost more than the stats it saves. So:
//
//   "FLST" | u32 header length | header (JSON, UTF-8) | padding to 8 | f64 stats
//
// The header is the state without its two big arrays: the paths travel as
// one string joined by NUL (one string for JSON to scan, split once), and a
// task's inputs as indexes into them where they are there; the stats are
// raw float64s, read in place as a Float64Array with no parsing at all.
const MAGIC = 0x54534c46; // "FLST", little-endian

/** What the state holds; the task graph's inputs are plain strings here. */
export interface StateBody<T extends { readonly inputs: readonly string[] }> {
  readonly paths: readonly string[];
  readonly stats: ArrayLike<number>;
  readonly graph: { readonly tasks: readonly T[]; readonly byName: readonly (readonly [string, number])[]; readonly goals: readonly number[] };
}

export function encodeState<T extends { readonly inputs: readonly string[] }, S extends StateBody<T>>(state: S): Buffer {
  const index = new Map<string, number>();
  for (let i = 0; i < state.paths.length; i++) index.set(state.paths[i] as string, i);
  const tasks = state.graph.tasks.map((t) => ({ ...t, inputs: t.inputs.map((p) => index.get(p) ?? p) }));
  const header = JSON.stringify({ ...state, paths: undefined, stats: undefined, pathText: state.paths.join("\0"), pathCount: state.paths.length, graph: { ...state.graph, tasks } });
  // Encoded straight into the file's buffer: a Buffer of the header first, then copied, was
  // one more copy of the state's largest part at the build's end, when its memory peaks.
  const headerLength = Buffer.byteLength(header, "utf8");
  const statsAt = align8(8 + headerLength);
  const out = Buffer.alloc(statsAt + state.stats.length * 8);
  out.writeUInt32LE(MAGIC, 0);
  out.writeUInt32LE(headerLength, 4);
  out.write(header, 8, "utf8");
  const stats = new Float64Array(out.buffer, out.byteOffset + statsAt, state.stats.length);
  for (let i = 0; i < state.stats.length; i++) stats[i] = state.stats[i] as number;
  return out;
}

/** The state in `bytes`, or undefined when they are not one (torn, foreign, another layout). */
export function decodeState<S extends StateBody<{ readonly inputs: readonly string[] }>>(bytes: Buffer, width: number): S | undefined {
  if (bytes.length < 8 || bytes.readUInt32LE(0) !== MAGIC) return undefined;
  const headerLength = bytes.readUInt32LE(4);
  if (8 + headerLength > bytes.length) return undefined;
  const header = JSON.parse(bytes.toString("utf8", 8, 8 + headerLength)) as Record<string, unknown> & {
    pathText?: unknown;
    pathCount?: unknown;
    graph?: { tasks?: { inputs: (number | string)[] }[] };
  };
  if (typeof header.pathText !== "string" || typeof header.pathCount !== "number" || !Array.isArray(header.graph?.tasks)) return undefined;
  const paths = header.pathCount === 0 ? [] : header.pathText.split("\0");
  if (paths.length !== header.pathCount) return undefined;
  const statsAt = align8(8 + headerLength);
  const count = paths.length * width;
  if (bytes.length !== statsAt + count * 8) return undefined;
  // In place when aligned (a file read whole gets a buffer of its own); copied otherwise.
  const stats = (bytes.byteOffset + statsAt) % 8 === 0 ? new Float64Array(bytes.buffer, bytes.byteOffset + statsAt, count) : new Float64Array(bytes.buffer.slice(bytes.byteOffset + statsAt, bytes.byteOffset + statsAt + count * 8));
  for (const t of header.graph.tasks) {
    const inputs = t.inputs;
    for (let i = 0; i < inputs.length; i++) {
      const v = inputs[i];
      if (typeof v === "number") inputs[i] = paths[v] as string;
    }
  }
  delete header.pathText;
  delete header.pathCount;
  return { ...header, paths, stats } as unknown as S;
}

function align8(n: number): number {
  return (n + 7) & ~7;
}
