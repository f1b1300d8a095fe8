// Colours of plan states and run results, shared by the SVG plan and the run
// timeline (and `flow ui`, which reads the SVG's classes). The plan states
// keep the colours of `--plan dot` and `--plan mermaid`; a run's results that
// mean the same as a plan state share its colour (restored ~ cached,
// up-to-date ~ fresh), so a plan and a run read alike.
import type { NodeState } from "./plan-layout.js";
import { FILL as PLAN_FILL, STROKE as PLAN_STROKE } from "./plan-render-graph.js";

export interface StateStyle {
  readonly fill: string;
  readonly stroke: string;
  /** For the legend: `stale: will run`. */
  readonly meaning: string;
}

export const STATE_STYLE: Readonly<Record<NodeState, StateStyle>> = {
  stale: { fill: PLAN_FILL.stale, stroke: PLAN_STROKE.stale, meaning: "will run" },
  waiting: { fill: PLAN_FILL.waiting, stroke: PLAN_STROKE.waiting, meaning: "on stale work" },
  cached: { fill: PLAN_FILL.cached, stroke: PLAN_STROKE.cached, meaning: "will be restored" },
  fresh: { fill: PLAN_FILL.fresh, stroke: PLAN_STROKE.fresh, meaning: "up to date" },
  ran: { fill: "#d0e0e3", stroke: "#45818e", meaning: "recipe ran" },
  restored: { fill: PLAN_FILL.cached, stroke: PLAN_STROKE.cached, meaning: "from the cache" },
  "up-to-date": { fill: PLAN_FILL.fresh, stroke: PLAN_STROKE.fresh, meaning: "nothing to do" },
  failed: { fill: "#ea9999", stroke: "#990000", meaning: "recipe failed" },
  "cannot-run": { fill: "#fce5cd", stroke: "#e69138", meaning: "a dependency failed" },
  skipped: { fill: "#eeeeee", stroke: "#999999", meaning: "not reached" },
  mixed: { fill: "#ffffff", stroke: "#666666", meaning: "tasks in several states" },
};

// eslint-disable-next-line no-control-regex -- XML 1.0 forbids these characters (and lone surrogates): finding them is the point
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Text for XML character data and attribute values: markup escaped, characters XML 1.0 forbids replaced by U+FFFD. */
export function xmlText(s: string): string {
  return s
    .replace(NOT_XML, "\ufffd")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}
