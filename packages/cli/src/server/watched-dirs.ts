// Which directories the process's inotify instances really watch, read from
// /proc/self/fdinfo. @parcel/watcher (2.6.0, src/linux/InotifyBackend.cc)
// adds a watch to a new directory only when its create event is read, and
// never looks inside it: a directory made inside it before that (mkdir -p
// a/b/c) gets no watch and no events, ever, and a failed inotify_add_watch
// (max_user_watches) is dropped silently. The server checks each new
// directory against the kernel's own list instead of trusting it.
import { lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";

/** `dev:ino` keys of every directory watched by an inotify instance of this process; undefined when /proc cannot tell. */
export function watchedDirKeys(): Set<string> | undefined {
  let fds: string[];
  try {
    fds = readdirSync("/proc/self/fd");
  } catch {
    return undefined;
  }
  const keys = new Set<string>();
  let found = false;
  for (const fd of fds) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue; // closed meanwhile (readdir's own fd among them)
    }
    if (target !== "anon_inode:inotify") continue;
    let info: string;
    try {
      info = readFileSync(`/proc/self/fdinfo/${fd}`, "utf8");
    } catch {
      continue;
    }
    found = true;
    for (const m of info.matchAll(/^inotify wd:[0-9a-f]+ ino:([0-9a-f]+) sdev:([0-9a-f]+)/gm)) {
      keys.add(`${kernelDevToUser(parseInt(m[2] as string, 16))}:${BigInt(`0x${m[1] as string}`)}`);
    }
  }
  return found ? keys : undefined;
}

/** The key of a directory, as watchedDirKeys() spells it; undefined when it is gone or no directory. */
export function dirKey(path: string): string | undefined {
  try {
    const st = lstatSync(path, { bigint: true });
    return st.isDirectory() ? `${Number(st.dev)}:${st.ino}` : undefined;
  } catch {
    return undefined;
  }
}

/**
 * fdinfo prints the kernel's dev_t (major << 20 | minor); stat(2) gives the
 * user-space encoding (glibc's makedev). Converts the former to the latter.
 */
export function kernelDevToUser(kdev: number): number {
  const major = Math.floor(kdev / 2 ** 20);
  const minor = kdev % 2 ** 20;
  return (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12) | (Math.floor(major / 0x1000) * 2 ** 32);
}
