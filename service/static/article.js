// One article's result: scores, highlighted evidence, warnings, model, and the correction form.
import { postJSON } from "./api.js";

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v == null) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  node.append(...children.flat().filter((c) => c != null));
  return node;
}

const pct = (p) => `${(100 * p).toFixed(1)}%`;
const labelClass = (label) => `lab-${label.replace(/[^a-z0-9]/gi, "")}`;

function scoreRow(name, p, chosen) {
  return el("li", { class: chosen ? "chosen" : "" },
    el("span", { class: `name ${labelClass(name)}`, text: name }),
    el("span", { class: "bar", role: "img", "aria-label": `${name} ${pct(p)}` },
      el("span", { style: `width:${(100 * p).toFixed(1)}%` })),
    el("span", { class: "num", text: pct(p) }),
    el("span", { class: "badge", text: chosen ? "assigned" : "" }));
}

// Split the text at evidence offsets so overlapping sentences keep every label. The API counts
// characters as Python does (code points); JavaScript strings count UTF-16 units, so an emoji or a
// math-bold letter before a sentence would shift every highlight: cut an array of code points.
export function highlighted(text, evidence) {
  const spans = [];
  for (const [label, items] of Object.entries(evidence || {})) {
    for (const ev of items) spans.push({ ...ev, label });
  }
  const chars = Array.from(text);
  const cuts = [...new Set([0, chars.length, ...spans.flatMap((s) => [s.start, s.end])])].sort((a, b) => a - b);
  const out = el("div", { class: "article-text", tabindex: "0", "aria-label": "Article text, evidence highlighted" });
  for (let i = 0; i + 1 < cuts.length; i++) {
    const [a, b] = [cuts[i], cuts[i + 1]];
    const covering = spans.filter((s) => s.start <= a && s.end >= b);
    const piece = chars.slice(a, b).join("");
    if (!covering.length) { out.append(piece); continue; }
    const labels = [...new Set(covering.map((s) => s.label))];
    out.append(el("mark", {
      class: `ev ${labelClass(labels[0])}`,
      "data-labels": labels.join(" "),
      "data-start": a,
      title: covering.map((s) => `${s.label}: ${s.score.toFixed(3)}`).join(", "),
    }, piece));
  }
  return out;
}

export function correctionForm(schema, article, result, onSaved) {
  const form = el("form", { class: "correct" });
  const topics = el("fieldset", {}, el("legend", { text: "Topics (zero or more)" }),
    schema.topics.map((t) => el("label", { class: "check" },
      el("input", { type: "checkbox", name: "topic", value: t, checked: result.topics.includes(t) }), ` ${t}`)));
  const framing = el("fieldset", {}, el("legend", { text: "Framing (exactly one)" }),
    schema.framings.map((f) => el("label", { class: "check" },
      el("input", { type: "radio", name: "framing", value: f, checked: result.framing === f }), ` ${f}`)));
  const status = el("p", { class: "status", role: "status", "aria-live": "polite" });
  const save = el("button", { type: "submit", class: "save-correction", text: "Save correction" });
  form.append(el("h3", { text: "Correct the labels" }), topics, framing, save, status);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const chosen = [...form.querySelectorAll("input[name=topic]:checked")].map((i) => i.value);
    const fr = form.querySelector("input[name=framing]:checked");
    save.disabled = true;
    try {
      const res = await postJSON("/workbench/api/corrections", {
        article,
        topics: chosen,
        framing: fr ? fr.value : null,
        model: result.model && result.model.tag ? result.model.tag : result.model,
        model_answer: {
          topics: result.topics, framing: result.framing,
          topic_scores: result.topic_scores, framing_scores: result.framing_scores,
        },
      });
      // note: the id already named another article, so it was saved under a new one
      status.textContent = `Saved as ${res.record.id} in ${res.path}${res.note ? ` (${res.note})` : ""}`;
      status.dataset.saved = res.record.id;
      if (onSaved) onSaved(res.record);
    } catch (err) {
      status.textContent = `Not saved: ${err.message}`;
    } finally {
      save.disabled = false;
    }
  });
  return form;
}

export function renderResult(schema, article, result) {
  const tag = result.model && result.model.tag ? result.model.tag : result.model;
  const box = el("div", { class: "result" });
  box.append(el("p", { class: "model", text: `Model ${tag}` }));
  if (result.warnings && result.warnings.length) {
    box.append(el("ul", { class: "warnings", "aria-label": "Warnings" },
      result.warnings.map((w) => el("li", { text: w }))));
  }
  box.append(
    el("h3", { text: "Topics" }),
    el("ul", { class: "scores topics" },
      schema.topics.map((t) => scoreRow(t, result.topic_scores[t], result.topics.includes(t)))),
    el("h3", { text: "Framing" }),
    el("ul", { class: "scores framing" },
      schema.framings.map((f) => scoreRow(f, result.framing_scores[f], result.framing === f))));
  if (result.evidence) {
    const legend = el("ul", { class: "evidence-list", "aria-label": "Evidence sentences" });
    for (const [label, items] of Object.entries(result.evidence)) {
      for (const ev of items) {
        legend.append(el("li", {},
          el("span", { class: `name ${labelClass(label)}`, text: label }),
          el("button", {
            type: "button", class: "link", text: `“${ev.text.slice(0, 90)}${ev.text.length > 90 ? "…" : ""}” (${ev.score.toFixed(2)})`,
            onclick: () => {
              const mark = box.querySelector(`mark[data-start="${ev.start}"]`);
              if (mark) { mark.scrollIntoView({ block: "center" }); mark.classList.add("flash"); setTimeout(() => mark.classList.remove("flash"), 1200); }
            },
          })));
      }
    }
    box.append(el("h3", { text: "Evidence" }), legend, highlighted(article.text, result.evidence));
  }
  box.append(correctionForm(schema, article, result));
  return box;
}
