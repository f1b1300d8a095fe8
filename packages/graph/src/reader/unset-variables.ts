/**
 * FLOW018: a variable used but never set. The expander notes the first
 * reference to each name that had no value when it was expanded (a map
 * lookup on a miss: nothing is paid on the common path); once the Flowfile
 * is read and its graph built (recipes expanded), the names still unset are
 * reported once each.
 *
 * Not reported: automatic variables (`$@`, `$(<D)`, `$(1)` in a call), names
 * the Flowfile tests for (ifdef, ifndef, origin, flavor, value, the arguments
 * of ifeq/ifneq and the conditions of if/or: those are meant to be optional),
 * environment variables and command-line values (they are set), variables
 * set for some target only, and flow's own dotted names.
 */
import { warningAt, type Diagnostic } from "../diagnostic.js";
import type { FlowfileModel } from "./flowfile-model.js";
import { closest } from "./functions.js";
import { BUILTIN_FLAG_NAMES } from "./builtin-variables.js";
import { DEFAULT_VARIABLES } from "./variables.js";

const SPECIAL_HINTS: Record<string, string> = {
  CURDIR: "flow does not set CURDIR: recipes run in the Flowfile's directory, so a relative path is enough (and keeps keys portable)",
};

export function unsetVariableWarnings(model: FlowfileModel): Diagnostic[] {
  const out: Diagnostic[] = [];
  const targetSet = new Set<string>();
  for (const vars of model.targetVars.values()) for (const v of vars) targetSet.add(v.name);
  if (model.expander.unset.size === 0) return out;
  const known = [...model.globals.names(), ...targetSet, ...DEFAULT_VARIABLES.map(([n]) => n)];
  for (const [name, ref] of model.expander.unset) {
    if (model.expander.probed.has(name) || name.startsWith(".") || targetSet.has(name)) continue;
    // CFLAGS, LDLIBS ...: the built-in recipes' flags, empty unless set, by convention.
    if (BUILTIN_FLAG_NAMES.has(name)) continue;
    const now = model.globals.lookup(name);
    const shown = /^[A-Za-z0-9_.-]+$/.test(name) ? name : JSON.stringify(name);
    if (now && now.loc && ref.loc && now.loc.file === ref.loc.file && now.loc.line > ref.loc.line) {
      out.push(
        warningAt(
          "FLOW018",
          `variable '${shown}' is used before it is set (it is set at line ${now.loc.line}), so it is empty here`,
          ref.loc,
          "move the assignment above this line, or use '=' instead of ':=' so the reference is expanded later",
        ),
      );
      continue;
    }
    if (now) continue;
    out.push(
      warningAt(
        "FLOW018",
        `variable '${shown}' is used but never set; it expands to nothing`,
        ref.loc,
        SPECIAL_HINTS[name] ?? didYouMean(name, known) ?? `set it ('${name} = ...' or 'flow build ${name}=...'), or write '${name} ?=' to make it empty on purpose`,
      ),
    );
  }
  return out;
}

function didYouMean(name: string, known: readonly string[]): string | undefined {
  if (name.length < 3) return undefined;
  const c = closest(name, known.filter((k) => k !== name && !k.startsWith(".")));
  return c === undefined ? undefined : `did you mean '${c}'? (or set ${name}, or write '${name} ?=' to make it empty on purpose)`;
}
