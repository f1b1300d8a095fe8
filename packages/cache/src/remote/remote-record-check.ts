// What a record from the remote must be before anything of it is used.
//
// The remote is the least trusted place flow reads from: anyone who can
// write to the server (or its bucket) can put any bytes under any key. On top
// of the shape check every cached record gets (checkActionRecord: plain
// project-relative paths, known kinds, hashes), a remote record is refused
// when:
// - it is filed under another key, or is not a success;
// - a mode has bits beyond rwx (a setuid file restored as root is the classic);
// - a link's text is absolute or leaves the project (the same policy as at save);
// - an entry lies below a link of the same record ("link, then a file through
//   it": the file would be written wherever the link points);
// - a path appears twice, or one content hash is given two sizes.
// Device files, FIFOs and sockets cannot be described at all: the kinds are
// file, dir and symlink. restoreOutputs checks paths again as it writes (it
// never writes through a link already on disk); this check is what lets the
// remote tier refuse a hostile artifact before any of its bytes reach the
// home store. Whether the paths are the task's declared outputs is the
// wiring's check (RemoteTierOptions.checkRecord): this package does not read
// the ingredients.
import { checkActionRecord, type ActionRecord } from "../action-record.js";
import { isSafeSymlinkTarget } from "../output-path.js";

export function checkRemoteRecord(value: unknown, key: string): { ok: true; record: ActionRecord } | { ok: false; problem: string } {
  const checked = checkActionRecord(value);
  if (!checked.ok) return checked;
  const { record } = checked;
  if (record.key !== key) return { ok: false, problem: `it is the record of key ${JSON.stringify(record.key)}` };
  if (record.exitCode !== 0) return { ok: false, problem: `it records a failed run (exit ${record.exitCode})` };
  if (typeof record.ingredients !== "string") return { ok: false, problem: "its ingredients are not a canonical text" };
  // Every link first: a hostile record need not be sorted.
  const links = new Set(record.outputs.filter((o) => o.kind === "symlink").map((o) => o.path));
  const seen = new Set<string>();
  const sizes = new Map<string, number>();
  for (const o of record.outputs) {
    if (seen.has(o.path)) return { ok: false, problem: `path ${o.path} appears twice` };
    seen.add(o.path);
    if (!Number.isInteger(o.mode) || o.mode < 0 || (o.mode & ~0o777) !== 0) return { ok: false, problem: `${o.path} has mode ${o.mode.toString(8)}, beyond rwx bits` };
    for (let i = o.path.indexOf("/"); i >= 0; i = o.path.indexOf("/", i + 1)) {
      if (links.has(o.path.slice(0, i))) return { ok: false, problem: `${o.path} lies below the link ${o.path.slice(0, i)}` };
    }
    if (o.kind === "symlink") {
      if (!isSafeSymlinkTarget(o.path, o.target as string)) return { ok: false, problem: `link ${o.path} -> ${JSON.stringify(o.target)} is absolute or leaves the project` };
    }
    if (o.kind === "file") {
      const size = o.size as number;
      if (!Number.isSafeInteger(size) || size < 0) return { ok: false, problem: `${o.path} has size ${size}` };
      const known = sizes.get(o.hash as string);
      if (known !== undefined && known !== size) return { ok: false, problem: `blob ${o.hash} is given two sizes` };
      sizes.set(o.hash as string, size);
    }
  }
  return { ok: true, record };
}
