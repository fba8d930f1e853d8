import { byId } from "../dom.js";
import type { Snapshot, ThroughputMinute } from "../types.js";

const NS = "http://www.w3.org/2000/svg";

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, text?: string): SVGElementTagNameMap[K] {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** The smallest 1/2/5 × 10^k step with `ticks` steps covering `max`. */
function niceStep(max: number, ticks: number): number {
  const raw = Math.max(max, 1) / ticks;
  const pow = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow;
}

const hhmm = (iso: string) => {
  const d = new Date(iso);
  return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
};

/** Draws accepted vs processed per minute as an inline SVG line chart sized to its box (real pixels, crisp text). */
function draw(box: HTMLElement, data: readonly ThroughputMinute[]): void {
  const width = Math.max(280, Math.floor(box.clientWidth || 600));
  const height = width < 480 ? 200 : 240;
  const m = { l: 44, r: 14, t: 12, b: 42 };
  const plotW = width - m.l - m.r;
  const plotH = height - m.t - m.b;
  const max = Math.max(0, ...data.map((d) => Math.max(d.accepted, d.processed)));
  const step = niceStep(max, 4);
  const yMax = step * Math.max(1, Math.ceil(max / step));
  const x = (i: number) => m.l + (data.length > 1 ? (i * plotW) / (data.length - 1) : plotW / 2);
  const y = (v: number) => m.t + plotH - (v / yMax) * plotH;

  const acceptedTotal = data.reduce((n, d) => n + d.accepted, 0);
  const processedTotal = data.reduce((n, d) => n + d.processed, 0);
  const lastMin = data.at(-1);
  const root = svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-labelledby": "chart-title chart-desc" });
  root.append(
    svg("title", { id: "chart-title" }, "Tickets accepted and processed per minute"),
    svg(
      "desc",
      { id: "chart-desc" },
      data.length
        ? `Last ${data.length} minutes: ${acceptedTotal} accepted, ${processedTotal} processed.` +
            (lastMin ? ` Latest minute: ${lastMin.accepted} accepted, ${lastMin.processed} processed.` : "")
        : "No throughput data yet.",
    ),
  );

  // Y grid, tick labels and title.
  for (let v = 0; v <= yMax; v += step) {
    root.append(
      svg("line", { class: "grid", x1: m.l, x2: width - m.r, y1: y(v), y2: y(v) }),
      svg("text", { class: "tick", x: m.l - 6, y: y(v) + 4, "text-anchor": "end" }, String(v)),
    );
  }
  root.append(
    svg("text", { class: "axis-title", transform: `translate(12 ${m.t + plotH / 2}) rotate(-90)`, "text-anchor": "middle" }, "tickets / min"),
    svg("line", { class: "axis", x1: m.l, x2: width - m.r, y1: m.t + plotH, y2: m.t + plotH }),
    svg("line", { class: "axis", x1: m.l, x2: m.l, y1: m.t, y2: m.t + plotH }),
    svg("text", { class: "axis-title", x: m.l + plotW / 2, y: height - 4, "text-anchor": "middle" }, "time (minute, local)"),
  );

  // X ticks every 5 minutes (10 on a narrow chart).
  const every = width < 480 ? 10 : 5;
  data.forEach((d, i) => {
    if (new Date(d.minute).getMinutes() % every !== 0) return;
    root.append(
      svg("line", { class: "axis", x1: x(i), x2: x(i), y1: m.t + plotH, y2: m.t + plotH + 4 }),
      svg("text", { class: "tick", x: x(i), y: m.t + plotH + 17, "text-anchor": "middle" }, hhmm(d.minute)),
    );
  });

  if (!data.length) {
    root.append(svg("text", { class: "tick", x: m.l + plotW / 2, y: m.t + plotH / 2, "text-anchor": "middle" }, "No data yet"));
  }
  for (const key of ["accepted", "processed"] as const) {
    const points = data.map((d, i) => `${x(i).toFixed(1)},${y(d[key]).toFixed(1)}`).join(" ");
    if (data.length) root.append(svg("polyline", { class: `series ${key}`, points }));
    data.forEach((d, i) => {
      if (!d[key] && i !== data.length - 1) return;
      const dot = svg("circle", { class: `dot ${key}`, cx: x(i), cy: y(d[key]), r: key === "accepted" ? 3 : 2.5 });
      dot.append(svg("title", {}, `${hhmm(d.minute)} ${key} ${d[key]}`));
      root.append(dot);
    });
  }
  box.replaceChildren(root);
}

/** Throughput chart: accepted vs processed per minute over the last 30 minutes (from /metrics). */
export function setupChart(): (s: Snapshot) => void {
  const box = byId("chart");
  let data: ThroughputMinute[] = [];
  let drawnFor = "";
  const redraw = () => {
    const key = `${box.clientWidth}|${JSON.stringify(data)}`;
    if (key === drawnFor) return;
    drawnFor = key;
    draw(box, data);
  };
  // Drawn on the next frame, not inside the observer callback (no resize-loop warnings).
  new ResizeObserver(() => requestAnimationFrame(redraw)).observe(box);
  return (s) => {
    data = s.metrics.throughput ?? [];
    redraw();
  };
}
