// "Score a file": parse on the server, score through the async job API, then table, charts and queue.
import { postForBlob, postJSON, postRaw, runJob, saveBlob } from "./api.js";
import { el, renderResult } from "./article.js";
import { countsChart, timeChart } from "./charts.js";

const $ = (id) => document.getElementById(id);
const JOB_SIZE = 16; // articles per job: small jobs make the progress bar move
const PARALLEL_JOBS = 3;

const state = { schema: null, scored: [], lines: [], charts: null, queue: [], shown: new Set(), outletField: null };

function setProgress(done, total, text) {
  $("score-progress").max = Math.max(total, 1);
  $("score-progress").value = done;
  $("score-progress-label").textContent = text || `Scored ${done} of ${total} articles`;
}

function showErrors(errors) {
  const body = $("errors-table").tBodies[0];
  body.replaceChildren(...errors.map((e) => el("tr", {},
    el("td", { text: String(e.line) }), el("td", { text: e.id == null ? "" : String(e.id) }), el("td", { text: e.error }))));
  $("score-errors").hidden = !errors.length;
}

async function scoreAll(rows) {
  const results = new Array(rows.length);
  let next = 0, done = 0;
  setProgress(0, rows.length);
  async function worker() {
    while (next < rows.length) {
      const start = next;
      next += JOB_SIZE;
      const chunk = rows.slice(start, start + JOB_SIZE);
      const out = await runJob(chunk.map((r) => r.article));
      out.forEach((res, i) => { results[start + i] = res; });
      done += chunk.length;
      setProgress(done, rows.length);
    }
  }
  await Promise.all(Array.from({ length: PARALLEL_JOBS }, worker));
  return results;
}

async function onSubmit(e) {
  e.preventDefault();
  const file = $("score-file").files[0];
  if (!file) return;
  $("score-submit").disabled = true;
  $("score-results").hidden = true;
  $("score-status").textContent = `Reading ${file.name}…`;
  setProgress(0, 1, "Reading the file");
  try {
    const parsed = await postRaw(`/workbench/api/parse?filename=${encodeURIComponent(file.name)}`, file);
    const errors = [...parsed.errors];
    showErrors(errors);
    $("score-status").textContent = `${parsed.rows.length} rows to score, ${errors.length} not usable`;
    const results = await scoreAll(parsed.rows);
    const good = [];
    parsed.rows.forEach((r, i) => {
      const res = results[i];
      if (res.error) errors.push({ line: r.line, id: r.row.id, error: res.error });
      else good.push([r, res]);
    });
    errors.sort((a, b) => a.line - b.line);
    showErrors(errors);
    const out = await postJSON("/workbench/api/scored", { rows: good.map(([r]) => r.row), results: good.map(([, res]) => res) });
    state.scored = out.rows;
    state.lines = good.map(([r]) => r.line);
    state.charts = out.charts;
    state.queue = out.queue;
    state.outletField = out.charts.outlet_field;
    render();
    $("score-results").hidden = false;
    setProgress(parsed.rows.length, parsed.rows.length, `Done: ${good.length} scored, ${errors.length} not scored`);
    $("score-status").textContent = `${file.name}: ${good.length} articles scored, ${errors.length} rows not scored`;
  } catch (err) {
    $("score-status").textContent = `Error: ${err.message}`;
  } finally {
    $("score-submit").disabled = false;
  }
}

function fillSelect(select, values) {
  select.replaceChildren(el("option", { value: "", text: "any" }), ...values.map((v) => el("option", { value: v, text: v })));
}

function render() {
  const { schema, charts } = state;
  fillSelect($("f-framing"), schema.framings);
  fillSelect($("f-topic"), [...schema.topics, "(none)"]);
  const outlets = [...new Set(state.scored.map((r) => outletOf(r)).filter(Boolean))].sort();
  fillSelect($("f-outlet"), outlets);
  const kinds = Object.fromEntries([...schema.topics.map((t) => [t, "topic"]), ...schema.framings.map((f) => [f, "framing"])]);
  countsChart($("counts-chart"), charts.counts, kinds, (label, kind) => {
    $(kind === "topic" ? "f-topic" : "f-framing").value = label;
    renderTable();
    $("table-count").focus?.();
  });
  const framingSel = $("time-framing");
  if (!framingSel.options.length) {
    fillSelect(framingSel, schema.framings);
    framingSel.options[0].remove();
    framingSel.addEventListener("change", renderTime);
  }
  state.shown = new Set(Object.keys(charts.over_time));
  const legend = $("time-series");
  legend.replaceChildren(el("legend", { text: "Series" }), ...Object.keys(charts.over_time).map((g) =>
    el("label", { class: "check" }, el("input", {
      type: "checkbox", checked: true, value: g,
      onchange: (ev) => { if (ev.target.checked) state.shown.add(g); else state.shown.delete(g); renderTime(); },
    }), ` ${g}`)));
  renderTime();
  renderTable();
  renderQueue();
}

function renderTime() {
  const palette = timeChart($("time-chart"), state.charts.over_time, $("time-framing").value, state.shown,
    (text) => { $("time-readout").textContent = text; });
  [...$("time-series").querySelectorAll("label")].forEach((l, i) => { l.style.borderColor = palette[i % palette.length]; });
}

const outletOf = (r) => (state.outletField ? r[state.outletField] : r.outlet_country) || "";
const topicsOf = (r) => (Array.isArray(r.topics) ? r.topics : String(r.topics || "").split(";").filter(Boolean));
const framingScore = (r) => r[`framing_score_${r.framing}`];

function visibleRows() {
  const fr = $("f-framing").value, tp = $("f-topic").value, ou = $("f-outlet").value;
  const from = $("f-from").value, to = $("f-to").value;
  return state.scored.map((r, i) => i).filter((i) => {
    const r = state.scored[i];
    const topics = topicsOf(r);
    const date = String(r.date || "");
    return (!fr || r.framing === fr)
      && (!tp || (tp === "(none)" ? !topics.length : topics.includes(tp)))
      && (!ou || String(outletOf(r)) === ou)
      && (!from || (date && date >= from)) && (!to || (date && date <= to));
  });
}

function renderTable() {
  const idx = visibleRows();
  const body = $("rows-table").tBodies[0];
  body.replaceChildren(...idx.map((i) => {
    const r = state.scored[i];
    const tr = el("tr", { tabindex: "0", "data-index": i, "aria-label": `Open article ${r.id}` },
      el("td", { text: String(state.lines[i]) }), el("td", { text: String(r.id) }),
      el("td", { text: r.title || "" }), el("td", { text: r.date || "" }), el("td", { text: String(outletOf(r)) }),
      el("td", { text: topicsOf(r).join(", ") }), el("td", { text: r.framing }),
      el("td", { class: "num", text: framingScore(r).toFixed(2) }));
    tr.addEventListener("click", () => openDetail(i));
    tr.addEventListener("keydown", (e) => {
      if (e.key === "Enter") { e.preventDefault(); openDetail(i); } // else the Enter lands on the dialog's close button
    });
    return tr;
  }));
  $("table-count").textContent = `Showing ${idx.length} of ${state.scored.length} articles`;
}

function renderQueue() {
  $("queue").replaceChildren(...state.queue.map((q) => {
    const r = state.scored[q.index];
    return el("li", {},
      el("button", { type: "button", class: "link", text: `${r.id}: ${r.title || r.text.slice(0, 60)}`, onclick: () => openDetail(q.index) }),
      el("span", { class: "hint", text: ` uncertainty ${q.uncertainty.toFixed(2)}${q.similar_to && q.similarity >= 0.1 ? `, like ${q.similar_to} (${q.similarity.toFixed(2)})` : ""}` }));
  }));
}

async function openDetail(i) {
  const r = state.scored[i];
  const dialog = $("detail");
  $("detail-h").textContent = `${r.id}${r.title ? `: ${r.title}` : ""}`;
  const body = $("detail-body");
  body.replaceChildren(el("p", { class: "status", role: "status", text: "Loading evidence…" }));
  dialog.showModal();
  const article = { id: String(r.id), title: r.title || null, text: r.text };
  for (const k of ["outlet_kind", "outlet_country", "date"]) if (r[k]) article[k] = r[k];
  try {
    const result = await postJSON("/classify", { id: article.id, title: article.title, text: article.text });
    body.replaceChildren(el("p", { class: "hint", text: `Line ${state.lines[i]} · ${outletOf(r)} · ${r.date || "no date"}` }),
      renderResult(state.schema, article, result));
  } catch (err) {
    body.replaceChildren(el("p", { class: "status", text: `Error: ${err.message}` }));
  }
}

async function download() {
  const fmt = $("download-format").value;
  const blob = await postForBlob(`/workbench/api/download?format=${fmt}`, { rows: state.scored });
  saveBlob(blob, `scored.${fmt}`);
}

async function exportQueue(part) {
  const rows = state.queue.map((q) => state.scored[q.index]);
  const out = await postJSON("/workbench/api/label-studio", { rows });
  if (part === "tasks") saveBlob(new Blob([JSON.stringify(out.tasks, null, 1)], { type: "application/json" }), "tasks.json");
  else saveBlob(new Blob([out.config], { type: "application/xml" }), "tasks.config.xml");
}

export function initScore(schema) {
  state.schema = schema;
  $("score-form").addEventListener("submit", onSubmit);
  for (const id of ["f-framing", "f-topic", "f-outlet", "f-from", "f-to"]) $(id).addEventListener("change", renderTable);
  $("filters").addEventListener("reset", () => setTimeout(renderTable));
  $("filters").addEventListener("submit", (e) => e.preventDefault());
  $("download").addEventListener("click", () => download().catch((e) => { $("score-status").textContent = `Error: ${e.message}`; }));
  $("ls-tasks").addEventListener("click", () => exportQueue("tasks"));
  $("ls-config").addEventListener("click", () => exportQueue("config"));
  $("detail-close").addEventListener("click", () => $("detail").close());
}
