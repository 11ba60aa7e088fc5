// "Read an article": paste, tag with /classify, show the result.
import { postJSON } from "./api.js";
import { renderResult } from "./article.js";

const $ = (id) => document.getElementById(id);

export function initRead(schema) {
  const form = $("read-form");
  $("read-text").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) form.requestSubmit();
  });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const article = { title: $("read-title").value.trim() || null, text: $("read-text").value };
    $("read-status").textContent = "Tagging…";
    $("read-submit").disabled = true;
    try {
      const result = await postJSON("/classify", article);
      const out = $("read-result");
      out.replaceChildren(renderResult(schema, article, result));
      out.hidden = false;
      $("model-tag").textContent = `Model ${result.model.tag}`;
      $("read-status").textContent = `Tagged: ${result.topics.join(", ") || "no topic"}; ${result.framing}`;
    } catch (err) {
      $("read-status").textContent = `Error: ${err.message}`;
    } finally {
      $("read-submit").disabled = false;
    }
  });
}
