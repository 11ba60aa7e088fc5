// Hand-made SVG charts: label counts (bars) and framing share over time by outlet country (lines).
const NS = "http://www.w3.org/2000/svg";
const PALETTE = ["#1f4e79", "#c0504d", "#4f8a3a", "#8064a2", "#d98c1f", "#2c9bb0", "#7f7f7f", "#b5487a"];

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

function activate(node, fn) {
  node.addEventListener("click", fn);
  node.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); fn(); } });
}

// counts: {label: n}; kinds: {label: "topic"|"framing"}; onPick(label, kind)
export function countsChart(container, counts, kinds, onPick) {
  const labels = Object.keys(counts);
  const max = Math.max(1, ...Object.values(counts));
  const rowH = 28, left = 120, width = 520, right = 50;
  const root = svg("svg", {
    viewBox: `0 0 ${left + width + right} ${labels.length * rowH + 10}`,
    role: "group", "aria-label": "Label counts", class: "chart counts",
  });
  labels.forEach((label, i) => {
    const w = (width * counts[label]) / max;
    const g = svg("g", {
      tabindex: "0", role: "button", class: `bar ${kinds[label]}`, "data-label": label,
      "aria-label": `${label}: ${counts[label]} articles. Filter the table by ${label}`,
      transform: `translate(0 ${i * rowH + 5})`,
    },
    svg("title", {}, `${label}: ${counts[label]}`),
    svg("text", { x: left - 8, y: 17, "text-anchor": "end" }, label),
    svg("rect", { x: left, y: 3, width: Math.max(w, 1), height: rowH - 8, fill: kinds[label] === "topic" ? PALETTE[0] : PALETTE[1] }),
    svg("text", { x: left + w + 6, y: 17, class: "num" }, String(counts[label])));
    activate(g, () => onPick(label, kinds[label]));
    root.append(g);
  });
  container.replaceChildren(root);
}

// overTime: {group: [{month, n, share: {framing: p}}]}; shown: Set of groups; readout(text)
export function timeChart(container, overTime, framing, shown, readout) {
  const months = [...new Set(Object.values(overTime).flatMap((s) => s.map((p) => p.month)))].sort();
  const W = 640, H = 260, L = 44, R = 34, T = 12, B = 40;
  const x = (m) => L + (months.length < 2 ? (W - L - R) / 2 : (months.indexOf(m) * (W - L - R)) / (months.length - 1));
  const y = (p) => T + (1 - p) * (H - T - B);
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "group", "aria-label": `Share of ${framing} by month`, class: "chart time" });
  for (const p of [0, 0.25, 0.5, 0.75, 1]) {
    root.append(svg("line", { x1: L, x2: W - R, y1: y(p), y2: y(p), class: "grid" }),
      svg("text", { x: L - 6, y: y(p) + 4, "text-anchor": "end", class: "axis" }, `${p * 100}%`));
  }
  const step = Math.max(1, Math.ceil(months.length / 8));
  months.forEach((m, i) => {
    if (i % step === 0) root.append(svg("text", { x: x(m), y: H - B + 18, "text-anchor": "middle", class: "axis" }, m));
  });
  if (!months.length) {
    root.append(svg("text", { x: W / 2, y: H / 2, "text-anchor": "middle" }, "No dates in this file"));
  }
  Object.entries(overTime).forEach(([group, points], gi) => {
    if (!shown.has(group) || !points.length) return;
    const color = PALETTE[gi % PALETTE.length];
    const g = svg("g", { class: "series", "data-group": group });
    g.append(svg("polyline", {
      points: points.map((p) => `${x(p.month)},${y(p.share[framing])}`).join(" "),
      fill: "none", stroke: color, "stroke-width": group === "all" ? 3 : 2,
    }));
    for (const p of points) {
      const text = `${p.month}, ${group}: ${(100 * p.share[framing]).toFixed(1)}% ${framing} of ${p.n} articles`;
      const dot = svg("circle", { cx: x(p.month), cy: y(p.share[framing]), r: 5, fill: color, tabindex: "0", "aria-label": text },
        svg("title", {}, text));
      for (const ev of ["mouseenter", "focus"]) dot.addEventListener(ev, () => readout(text));
      g.append(dot);
    }
    root.append(g);
  });
  container.replaceChildren(root);
  return PALETTE;
}
