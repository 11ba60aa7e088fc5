// The workbench page: section switching, the token prompt, and start-up.
import { getJSON, onTokenNeeded, setToken } from "./api.js";
import { initRead } from "./read.js";
import { initScore } from "./score.js";

const $ = (id) => document.getElementById(id);

function showSection(name) {
  for (const tab of document.querySelectorAll(".tab")) {
    const on = tab.dataset.section === name;
    if (on) tab.setAttribute("aria-current", "page"); else tab.removeAttribute("aria-current");
    $(tab.dataset.section).hidden = !on;
  }
}

function askToken() {
  const dialog = $("token-dialog");
  $("token-button").hidden = false;
  return new Promise((resolve) => {
    $("token-form").onsubmit = (e) => {
      e.preventDefault();
      setToken($("token-input").value.trim());
      dialog.close();
      resolve();
    };
    if (!dialog.open) dialog.showModal();
    $("token-input").focus();
  });
}

async function start() {
  for (const tab of document.querySelectorAll(".tab")) {
    tab.addEventListener("click", () => showSection(tab.dataset.section));
  }
  onTokenNeeded(askToken);
  $("token-button").addEventListener("click", () => askToken());
  const schema = await getJSON("/workbench/api/schema");
  initRead(schema);
  initScore(schema);
  document.body.dataset.ready = "true";
}

start().catch((e) => { $("read-status").textContent = `Could not start: ${e.message}`; });
