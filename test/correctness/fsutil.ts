// File-system snapshots of outputs (bytes and modes) and small helpers.
import { createHash } from "node:crypto";
import { cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { dirname, join } from "node:path";

export interface FileSnap {
  sha: string;
  mode: number;
  size: number;
}

export type Snap =
  | { kind: "missing" }
  | ({ kind: "file" } & FileSnap)
  | { kind: "dir"; mode: number; entries: Record<string, FileSnap | "dir" | `link:${string}`> }
  | { kind: "link"; target: string };

export function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

function fileSnap(path: string): FileSnap {
  const data = readFileSync(path);
  const st = lstatSync(path);
  return { sha: sha256(data), mode: st.mode & 0o7777, size: data.length };
}

export function snapPath(root: string, rel: string): Snap {
  const abs = join(root, rel);
  let st;
  try {
    st = lstatSync(abs);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT" || (e as NodeJS.ErrnoException).code === "ENOTDIR") {
      return { kind: "missing" };
    }
    throw e;
  }
  if (st.isSymbolicLink()) return { kind: "link", target: readlinkSync(abs) };
  if (st.isFile()) return { kind: "file", ...fileSnap(abs) };
  const entries: Record<string, FileSnap | "dir" | `link:${string}`> = {};
  const walk = (dir: string, prefix: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const r = prefix === "" ? name : `${prefix}/${name}`;
      const s = lstatSync(p);
      if (s.isSymbolicLink()) entries[r] = `link:${readlinkSync(p)}`;
      else if (s.isDirectory()) {
        entries[r] = "dir";
        walk(p, r);
      } else entries[r] = fileSnap(p);
    }
  };
  walk(abs, "");
  return { kind: "dir", mode: st.mode & 0o7777, entries };
}

/** Content identity of an output, as a dependent's key sees it (bytes, not modes). */
export function contentId(s: Snap): string {
  switch (s.kind) {
    case "missing":
      return "missing";
    case "file":
      return `f:${s.sha}`;
    case "link":
      return `l:${s.target}`;
    case "dir":
      return (
        "d:" +
        sha256(
          Object.entries(s.entries)
            .map(([k, v]) => `${k}=${typeof v === "string" ? v : v.sha}`)
            .join("\n"),
        )
      );
  }
}

export function sameSnap(a: Snap, b: Snap): boolean {
  return describeSnapDiff(a, b) === null;
}

/** null when equal (bytes and modes), otherwise a short description. */
export function describeSnapDiff(actual: Snap, expected: Snap): string | null {
  if (actual.kind !== expected.kind) return `is ${actual.kind}, expected ${expected.kind}`;
  switch (actual.kind) {
    case "missing":
      return null;
    case "link":
      return expected.kind === "link" && expected.target === actual.target ? null : "symlink target differs";
    case "file": {
      if (expected.kind !== "file") return "kind";
      if (actual.sha !== expected.sha) return `content differs (${actual.size} bytes, expected ${expected.size})`;
      if (actual.mode !== expected.mode) {
        return `mode ${actual.mode.toString(8)}, expected ${expected.mode.toString(8)}`;
      }
      return null;
    }
    case "dir": {
      if (expected.kind !== "dir") return "kind";
      const diffs: string[] = [];
      if (actual.mode !== expected.mode) {
        diffs.push(`directory mode ${actual.mode.toString(8)}, expected ${expected.mode.toString(8)}`);
      }
      const keys = new Set([...Object.keys(actual.entries), ...Object.keys(expected.entries)]);
      for (const k of [...keys].sort()) {
        const a = actual.entries[k];
        const e = expected.entries[k];
        if (a === undefined) diffs.push(`${k}: missing`);
        else if (e === undefined) diffs.push(`${k}: unexpected`);
        else if (typeof a === "string" || typeof e === "string") {
          if (a !== e) diffs.push(`${k}: kind differs`);
        } else if (a.sha !== e.sha) diffs.push(`${k}: content differs`);
        else if (a.mode !== e.mode) diffs.push(`${k}: mode ${a.mode.toString(8)}, expected ${e.mode.toString(8)}`);
      }
      return diffs.length === 0 ? null : diffs.join("; ");
    }
  }
}

/** Files (sha) that make up an output: what restoring it needs from the blob store. */
export function blobShas(s: Snap): string[] {
  if (s.kind === "file") return [s.sha];
  if (s.kind === "dir") return Object.values(s.entries).flatMap((v) => (typeof v === "string" ? [] : [v.sha]));
  return [];
}

/** Every regular file under root/sub, as paths relative to root, sorted. */
export function listFiles(root: string, sub: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    const abs = join(root, rel);
    if (!existsSync(abs)) return;
    for (const name of readdirSync(abs)) {
      const r = `${rel}/${name}`;
      const st = lstatSync(join(root, r));
      if (st.isDirectory()) walk(r);
      else out.push(r);
    }
  };
  walk(sub);
  return out.sort();
}

export function copyFiles(fromRoot: string, toRoot: string, rels: readonly string[]): void {
  for (const rel of rels) {
    const to = join(toRoot, rel);
    mkdirSync(dirname(to), { recursive: true });
    cpSync(join(fromRoot, rel), to, { preserveTimestamps: false });
  }
}
