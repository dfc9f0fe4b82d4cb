// Small SVG charts drawn in the page (no library, no inline styles: only
// SVG attributes and classes from craving.css). Each chart tells its data
// with shapes and numbers, not colour alone; the pages also print a text
// summary next to it for screen readers.
import { gettext, interpolate, LOCALE } from "./i18n.js";

const NS = "http://www.w3.org/2000/svg";

export function svgEl(name, attrs = {}, text = null) {
  const el = document.createElementNS(NS, name);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  if (text !== null) el.textContent = text;
  return el;
}

// Labels are sized in the chart's own units, so they grow and shrink with
// the chart and never outgrow it (chart.css sizes the rest relative to this).
const LABEL_SIZE = 11;

function reset(svg, width, height) {
  svg.replaceChildren();
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("font-size", String(LABEL_SIZE));
}

const fmt = (n) => (Math.round(n * 10) / 10).toString();

// The wave: strength (0–10) against minutes, one labelled dot per check-in.
export function drawWaveCurve(svg, points, durationMin) {
  if (!svg) return;
  const W = 320, H = 150, left = 28, right = 10, top = 14, bottom = 26;
  reset(svg, W, H);
  const x = (m) => left + (Math.min(m, durationMin) / durationMin) * (W - left - right);
  const y = (v) => top + (1 - v / 10) * (H - top - bottom);
  for (const v of [0, 5, 10]) {
    svg.append(svgEl("line", { x1: left, x2: W - right, y1: y(v), y2: y(v), class: "ch-grid" }));
    svg.append(svgEl("text", { x: left - 6, y: y(v) + 4, class: "ch-label", "text-anchor": "end" }, String(v)));
  }
  svg.append(svgEl("text", { x: left, y: H - 6, class: "ch-label" }, interpolate(gettext("%(n)s min"), { n: 0 })));
  svg.append(svgEl("text", { x: W - right, y: H - 6, class: "ch-label", "text-anchor": "end" }, interpolate(gettext("%(n)s min"), { n: durationMin })));
  if (points.length > 1) {
    svg.append(svgEl("polyline", {
      points: points.map((p) => `${fmt(x(p.minutes))},${fmt(y(p.value))}`).join(" "),
      class: "ch-line",
    }));
  }
  for (const p of points) {
    svg.append(svgEl("circle", { cx: fmt(x(p.minutes)), cy: fmt(y(p.value)), r: 5, class: "ch-dot" }));
    svg.append(svgEl("text", {
      x: fmt(x(p.minutes)), y: fmt(Math.max(11, y(p.value) - 9)), class: "ch-value", "text-anchor": "middle",
    }, String(p.value)));
  }
}

// The last 30 days: average strength at the start (filled circles, solid
// line) and at the end (open squares, dashed line), and the number of
// cravings under each day that had any.
export function drawDailyChart(svg, series) {
  if (!svg) return;
  const W = 340, H = 190, left = 28, right = 8, top = 12, bottom = 44;
  reset(svg, W, H);
  const step = (W - left - right) / series.length;
  const x = (i) => left + step * (i + 0.5);
  const y = (v) => top + (1 - v / 10) * (H - top - bottom);
  for (const v of [0, 5, 10]) {
    svg.append(svgEl("line", { x1: left, x2: W - right, y1: y(v), y2: y(v), class: "ch-grid" }));
    svg.append(svgEl("text", { x: left - 6, y: y(v) + 4, class: "ch-label", "text-anchor": "end" }, String(v)));
  }
  // Under each day, its count; the legend says what the numbers are.
  const countY = H - bottom + 16;
  series.forEach((day, i) => {
    if (day.count) svg.append(svgEl("text", { x: fmt(x(i)), y: countY, class: "ch-count", "text-anchor": "middle" }, String(day.count)));
  });
  const fmtDay = (d) => d.toLocaleDateString(LOCALE, { day: "numeric", month: "short" });
  const first = series[0], last = series[series.length - 1];
  svg.append(svgEl("text", { x: left, y: H - 6, class: "ch-label" }, fmtDay(first.date)));
  svg.append(svgEl("text", { x: W - right, y: H - 6, class: "ch-label", "text-anchor": "end" }, fmtDay(last.date)));

  const line = (field, cls) => {
    const pts = series.map((d, i) => (d[field] === null ? null : `${fmt(x(i))},${fmt(y(d[field]))}`)).filter(Boolean);
    if (pts.length > 1) svg.append(svgEl("polyline", { points: pts.join(" "), class: cls }));
  };
  line("before", "ch-line");
  line("after", "ch-line ch-line-after");
  series.forEach((d, i) => {
    if (d.before !== null) svg.append(svgEl("circle", { cx: fmt(x(i)), cy: fmt(y(d.before)), r: 4, class: "ch-dot" }));
    if (d.after !== null) {
      svg.append(svgEl("rect", { x: fmt(x(i) - 3.5), y: fmt(y(d.after) - 3.5), width: 7, height: 7, class: "ch-square" }));
    }
  });
}
