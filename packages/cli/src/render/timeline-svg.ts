// A run's timeline (history/run-timeline.ts) as a Gantt chart in SVG: one row
// per job slot, one bar per task that did work, coloured by its status as
// the plan picture colours it (state-colors.ts), its name inside when the
// bar is wide enough and in its tooltip always; a time axis in seconds.
// Each bar is <g class="span state-STATUS" data-task="NAME"> with a <title>.
import type { NodeState } from "./plan-layout.js";
import { STATE_STYLE, xmlText } from "./state-colors.js";

export interface TimelineSpan {
  readonly task: string;
  /** ran, restored, failed (a task status). */
  readonly status: string;
  /** ms from the run's start. */
  readonly startMs: number;
  readonly endMs: number;
}

export interface RunTimeline {
  readonly run: number;
  /** ms since the epoch (run.json). */
  readonly start: number;
  readonly end: number;
  /** The build's -j. */
  readonly jobs: number;
  /** Slots from 1, each with its spans by start; only slots that were used. */
  readonly slots: { readonly slot: number; readonly spans: TimelineSpan[] }[];
}

const FONT = `font-family="ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace" font-size="12"`;
const CHART_WIDTH = 960;
const GUTTER = 72;
const ROW = 26;
const BAR = 20;
const CHAR = 7.5;
const TOP = 56;
const AXIS = 34;

export function timelineSvg(timeline: RunTimeline): string {
  const spans = timeline.slots.flatMap((s) => s.spans);
  const totalMs = Math.max(1, timeline.end - timeline.start, ...spans.map((s) => s.endMs));
  const scale = CHART_WIDTH / totalMs;
  const x = (ms: number) => GUTTER + ms * scale;
  const rows = Math.max(1, timeline.slots.length);
  const width = GUTTER + CHART_WIDTH + 24;
  const height = TOP + rows * ROW + AXIS;
  const heading = `run ${timeline.run}: ${spans.length} task${spans.length === 1 ? "" : "s"} did work on ${timeline.slots.length} of ${timeline.jobs} job slot${timeline.jobs === 1 ? "" : "s"} in ${seconds(timeline.end - timeline.start)}`;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT}>`,
    `<title>${xmlText(heading)}</title>`,
    `<rect class="background" width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text class="heading" x="16" y="18" font-size="14" font-weight="bold">${xmlText(heading)}</text>`,
    ...legend(spans.map((s) => s.status)),
  ];
  const bottom = TOP + rows * ROW;
  // Grid lines and the axis first, so that bars cover them.
  const step = tickStep(totalMs);
  out.push('<g class="axis">');
  for (let t = 0; t <= totalMs + step / 1000; t += step) {
    const tx = num(x(Math.min(t, totalMs)));
    out.push(`<line x1="${tx}" y1="${TOP - 4}" x2="${tx}" y2="${bottom + 4}" stroke="#e0e0e0"/>`);
    out.push(`<text x="${tx}" y="${bottom + 18}" text-anchor="middle" fill="#444444" font-size="11">${xmlText(seconds(t, step))}</text>`);
  }
  out.push(`<line x1="${GUTTER}" y1="${bottom}" x2="${GUTTER + CHART_WIDTH}" y2="${bottom}" stroke="#666666"/>`);
  out.push(`<text x="${GUTTER + CHART_WIDTH}" y="${bottom + 32}" text-anchor="end" fill="#444444" font-size="11">seconds from the start of the run</text>`);
  out.push("</g>");
  timeline.slots.forEach((s, r) => {
    const y = TOP + r * ROW;
    out.push(`<g class="slot" data-slot="${s.slot}">`);
    out.push(`<text x="8" y="${y + 15}" fill="#000000">slot ${s.slot}</text>`);
    for (const span of s.spans) {
      const style = STATE_STYLE[(span.status in STATE_STYLE ? span.status : "skipped") as NodeState];
      const bx = x(span.startMs);
      const bw = Math.max(1, (span.endMs - span.startMs) * scale);
      const tip = `${span.task}: ${span.status}, ${seconds(span.endMs - span.startMs)} (from ${seconds(span.startMs)} to ${seconds(span.endMs)})`;
      out.push(
        `<g class="span state-${xmlText(span.status)}" data-task="${xmlText(span.task)}">`,
        `<title>${xmlText(tip)}</title>`,
        `<rect x="${num(bx)}" y="${y + (ROW - BAR) / 2}" width="${num(bw)}" height="${BAR}" rx="3" fill="${style.fill}" stroke="${style.stroke}"/>`,
      );
      const label = fitLabel(span.task, bw - 8);
      if (label !== undefined) out.push(`<text x="${num(bx + 4)}" y="${y + 17}" fill="#000000">${xmlText(label)}</text>`);
      out.push("</g>");
    }
    out.push("</g>");
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}

function legend(statuses: readonly string[]): string[] {
  const used = (["ran", "restored", "failed"] as const).filter((s) => statuses.includes(s));
  const out = ['<g class="legend" transform="translate(16,28)">'];
  let lx = 0;
  for (const s of used) {
    const style = STATE_STYLE[s];
    out.push(
      `<g class="legend-item state-${s}" transform="translate(${lx},0)">`,
      `<rect width="14" height="14" rx="3" fill="${style.fill}" stroke="${style.stroke}"/>`,
      `<text x="20" y="11" fill="#000000">${s}: ${xmlText(style.meaning)}</text>`,
      "</g>",
    );
    lx += 20 + (s.length + 2 + style.meaning.length) * CHAR + 18;
  }
  out.push("</g>");
  return out;
}

/** The name as it fits `room` px (its end kept: the file name says most), or undefined when not even a few characters fit. */
function fitLabel(name: string, room: number): string | undefined {
  const fits = Math.floor(room / CHAR);
  const chars = [...name];
  if (chars.length <= fits) return name;
  if (fits < 6) return undefined;
  return `…${chars.slice(chars.length - (fits - 1)).join("")}`;
}

/** A tick every 1, 2 or 5 times a power of ten ms, 5 to 10 of them over the run. */
function tickStep(totalMs: number): number {
  const raw = totalMs / 8;
  const pow = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * pow >= raw) return m * pow;
  return 10 * pow;
}

/** `0.35 s`, `12 s`; with a tick step, as many decimals as the step needs. */
function seconds(ms: number, step?: number): string {
  const decimals = step === undefined ? (ms < 10_000 ? 2 : ms < 100_000 ? 1 : 0) : Math.max(0, Math.min(3, -Math.floor(Math.log10(step / 1000))));
  return `${(ms / 1000).toFixed(decimals)} s`;
}

function num(v: number): string {
  return String(Math.round(v * 10) / 10);
}
