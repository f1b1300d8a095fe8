/**
 * Which file a recipe writes its discovered inputs to, read from the
 * compiler flags as gcc and clang take them (`gcc -MD`, "Options Controlling
 * the Preprocessor"):
 *
 *   -MD / -MMD            a depfile beside the object: `-MF FILE` when
 *                         given, else the `-o` output (here: the task's first
 *                         target) with its suffix replaced by `.d`
 *   -Wp,-MD,FILE          (the Linux kernel's spelling) FILE
 *   -Wp,-MMD,FILE
 *
 * Only `-MD` and `-MMD` make a depfile *as a side effect* of compiling; `-M`
 * and `-MM` alone print the dependencies instead of compiling, which is a
 * generated file with a rule of its own, not a depfile. The flags are looked
 * for as whole shell words; a recipe without `-M` in it costs one `includes`.
 */
import { posix } from "node:path";

/** The depfile a recipe writes, project-relative; undefined when it writes none (or one outside the project). */
export function depfileOfRecipe(recipe: string, firstTarget: string): string | undefined {
  if (!recipe.includes("-M") && !recipe.includes("-Wp,")) return undefined;
  const words = recipe.split(/[\s;&|()]+/).map(unquote);
  let writes = false;
  let named: string | undefined;
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    if (w === "-MD" || w === "-MMD") writes = true;
    else if (w === "-MF") named ??= words[i + 1];
    else if (w.startsWith("-MF") && w.length > 3) named ??= w.slice(3);
    else if (w.startsWith("-Wp,-MD,") || w.startsWith("-Wp,-MMD,")) {
      writes = true;
      named ??= w.slice(w.indexOf(",", 4) + 1);
    }
  }
  if (!writes) return undefined;
  return projectPath(named ?? withSuffixD(firstTarget));
}

/** `build/a.o` → `build/a.d`; a name without a suffix gets `.d` added, as gcc does. */
function withSuffixD(target: string): string {
  const slash = target.lastIndexOf("/");
  const dot = target.lastIndexOf(".");
  return (dot > slash + 1 ? target.slice(0, dot) : target) + ".d";
}

function unquote(w: string): string {
  return w.length >= 2 && (w[0] === "'" || w[0] === '"') && w[w.length - 1] === w[0] ? w.slice(1, -1) : w;
}

/** The normal form of a relative path inside the project; undefined for an absolute one, one leaving the root, or one the shell still has to expand. */
export function projectPath(p: string | undefined): string | undefined {
  if (p === undefined || p === "" || p.startsWith("/") || /[$`*?[]/.test(p)) return undefined;
  const n = posix.normalize(p);
  if (n === "." || n === ".." || n.startsWith("../")) return undefined;
  return n;
}
